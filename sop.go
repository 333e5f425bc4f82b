package naskah

// SOPCode is the code of the SOP that Naskah carries out.
const SOPCode = "POM-13.01/CFM.01/SOP.01"

// Process is one of the SOP's three processes.
type Process string

const (
	ProcessDomestic   Process = "A" // Perjanjian Kerja Sama Dalam Negeri
	ProcessForeign    Process = "B" // Perjanjian Kerja Sama Luar Negeri
	ProcessMonitoring Process = "C" // Monitoring dan Evaluasi (monev)
)

// Title is the process's Indonesian name.
func (p Process) Title() string {
	switch p {
	case ProcessDomestic:
		return "Perjanjian Kerja Sama Dalam Negeri"
	case ProcessForeign:
		return "Perjanjian Kerja Sama Luar Negeri"
	case ProcessMonitoring:
		return "Monitoring dan Evaluasi"
	}
	return string(p)
}

// StepID names a step of the SOP as the SOP numbers it ("A4").
type StepID string

// The steps of processes A, B and C, named for what they do.
const (
	StepDomesticInitiation StepID = "A1"
	StepDraftReview        StepID = "A2"
	StepSendToLegal        StepID = "A3"
	StepLegalFormulation   StepID = "A4"
	StepReportToLeadership StepID = "A5"
	StepLeadershipApproval StepID = "A6"
	StepSendApproval       StepID = "A7"
	StepPrepareSigning     StepID = "A8"
	StepDelivery           StepID = "A9"
	StepReceipt            StepID = "A10"

	StepForeignStudy       StepID = "B1"
	StepForeignReview      StepID = "B2"
	StepFormulateReview    StepID = "B3"
	StepReviewApproval     StepID = "B4"
	StepSendToKemenlu      StepID = "B5"
	StepKemenluReview      StepID = "B6"
	StepFinalDraftApproval StepID = "B7"
	StepPartnerApproval    StepID = "B8"
	StepPrepareForeignText StepID = "B9"
	StepForeignSigning     StepID = "B10"
	StepArchive            StepID = "B11"
	StepMonevRequest       StepID = "C1"
	StepMonevSubmission    StepID = "C2"
	StepMonevDiscussion    StepID = "C3"
	StepMonevReport        StepID = "C4"
	StepDone               StepID = "DONE" // the process has ended
	stepNone               StepID = ""
)

// ActionKind is something an actor does to an agreement.
type ActionKind string

const (
	ActionInitiate ActionKind = "initiate"
	ActionUpload   ActionKind = "upload"
	ActionSubmit   ActionKind = "submit"  // finish the step with its outputs
	ActionApprove  ActionKind = "approve" // Setuju at a decision
	ActionReject   ActionKind = "reject"  // Tidak at a decision (note required)
	ActionReturn   ActionKind = "return"  // send back to the previous step (note required)
	ActionSign     ActionKind = "sign"
	ActionDeliver  ActionKind = "deliver" // A9: the signed text reached the partner
	ActionReceive  ActionKind = "receive" // A10: the initiator received the MoU/PKS
	ActionArchive  ActionKind = "archive" // B11: signed original, transmittal and CTC kept
)

// Actions lists every action kind.
var Actions = []ActionKind{ActionInitiate, ActionUpload, ActionSubmit, ActionApprove, ActionReject, ActionReturn, ActionSign, ActionDeliver, ActionReceive, ActionArchive}

// Step is one activity of the SOP, as data.
type Step struct {
	ID       StepID
	Process  Process
	Activity string // Indonesian, as the SOP writes it
	English  string
	Actors   []Role // who may act (see ActorsFor for the signatory-dependent steps)
	Inputs   []DocumentKind
	Outputs  []DocumentKind // required before the step can be finished
	Optional []DocumentKind // may be uploaded at this step
	HK       int            // deadline in working days; 0 = none
	Notes    string

	// Finish is the action that ends the step forward (submit, approve,
	// deliver, receive, archive); Next is where it goes.
	Finish ActionKind
	Next   StepID
	// RejectTo is where a reject goes (decision steps only).
	RejectTo     StepID
	RejectLabel  string // what a reject means at this step
	SignedBy     bool   // the signatory (and the partner) sign at this step
	ApproveLabel string
}

// Decision reports whether the step is a decision (approve / reject).
func (s *Step) Decision() bool { return s.RejectTo != "" }

var steps = []Step{
	// A. Domestic agreement.
	{ID: StepDomesticInitiation, Process: ProcessDomestic, Activity: "Mengusulkan/menginisiasi MoU atau PKS", English: "Propose/initiate the MoU or PKS",
		Actors: []Role{RoleUnit, RoleUPT, RoleBKH}, Inputs: nil,
		Outputs: []DocumentKind{DocNotaDinas, DocInitialDraft}, Optional: []DocumentKind{DocPartnerProposal, DocCounterDraft},
		Notes:  "Baru atau perpanjangan; dapat berasal dari mitra; dapat diterima melalui e-mail.",
		Finish: ActionSubmit, Next: StepDraftReview},
	{ID: StepDraftReview, Process: ProcessDomestic, Activity: "Mereviu/membahas draft dari pengusul", English: "Review/discuss the initiator's draft",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocNotaDinas, DocInitialDraft},
		Outputs: []DocumentKind{DocReviewedDraft}, Optional: []DocumentKind{DocCounterDraft},
		HK: 10, Notes: "5 HK bila diinisiasi UPT, 10 HK bila oleh unit kerja pusat; dapat melibatkan UPT, mitra dan pimpinan.",
		Finish: ActionSubmit, Next: StepSendToLegal},
	{ID: StepSendToLegal, Process: ProcessDomestic, Activity: "Menyampaikan draft hasil reviu kepada BHO", English: "Send the reviewed draft to BHO",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocReviewedDraft},
		Outputs: []DocumentKind{DocReviewNotaDinas}, HK: 3,
		Notes:  "Untuk Balai Besar/Balai POM, disertai juga draft final sebagaimana diajukan.",
		Finish: ActionSubmit, Next: StepLegalFormulation},
	{ID: StepLegalFormulation, Process: ProcessDomestic, Activity: "Melakukan perumusan (legal drafting)", English: "Legal formulation (legal drafting)",
		Actors: []Role{RoleBHO}, Inputs: []DocumentKind{DocReviewedDraft, DocReviewNotaDinas},
		Outputs: []DocumentKind{DocFinalDraft, DocLegalNotaDinas}, HK: 7,
		Notes:  "Dapat membahas dengan unit kerja; tidak mengubah substansi.",
		Finish: ActionSubmit, Next: StepReportToLeadership},
	{ID: StepReportToLeadership, Process: ProcessDomestic, Activity: "Melaporkan naskah perjanjian kepada pimpinan", English: "Report the agreement text to leadership",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocFinalDraft, DocLegalNotaDinas},
		Outputs: []DocumentKind{DocReportNotaDinas}, Optional: []DocumentKind{DocPowerOfAttorney}, HK: 3,
		Notes:  "Kepada Sestama bila ditandatangani Kepala UPT; kepada Kepala bila ditandatangani Kepala, Madya atau Pratama (Pratama dengan surat kuasa).",
		Finish: ActionSubmit, Next: StepLeadershipApproval},
	{ID: StepLeadershipApproval, Process: ProcessDomestic, Activity: "Menyetujui naskah perjanjian hasil rumusan", English: "Approve the formulated agreement",
		Actors: []Role{RoleKepala, RoleMadya}, Inputs: []DocumentKind{DocReportNotaDinas},
		Optional: []DocumentKind{DocApprovedDraft}, HK: 5,
		Notes:  "Setuju → disampaikan; Tidak → kembali ke perumusan (A4).",
		Finish: ActionApprove, Next: StepSendApproval, RejectTo: StepLegalFormulation, RejectLabel: "Tidak setuju: kembali ke perumusan hukum", ApproveLabel: "Setuju"},
	{ID: StepSendApproval, Process: ProcessDomestic, Activity: "Menyampaikan persetujuan dengan surat penyampaian Sestama", English: "Send the approval with SESTAMA's cover letter",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocFinalDraft},
		Outputs: []DocumentKind{DocCoverLetter}, Optional: []DocumentKind{DocApprovedDraft}, HK: 3,
		Finish: ActionSubmit, Next: StepPrepareSigning},
	{ID: StepPrepareSigning, Process: ProcessDomestic, Activity: "Menyiapkan naskah untuk penandatanganan", English: "Prepare the text for signing",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocCoverLetter},
		Outputs: []DocumentKind{DocTextToSign}, HK: 1,
		Notes:  "BKH untuk penandatangan Kepala/Madya/Pratama; UPT untuk Kepala UPT; sesuai SK pendelegasian wewenang.",
		Finish: ActionSubmit, Next: StepDelivery},
	{ID: StepDelivery, Process: ProcessDomestic, Activity: "Menyampaikan MoU/PKS yang telah ditandatangani", English: "Sign and deliver the MoU/PKS",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocTextToSign},
		Outputs: []DocumentKind{DocSigned, DocProofOfDelivery}, HK: 2, SignedBy: true,
		Notes:  "Ditandatangani pejabat berwenang (dan mitra); mitra menerima → A10, tidak → kembali ke A8.",
		Finish: ActionDeliver, Next: StepReceipt, RejectTo: StepPrepareSigning, RejectLabel: "Mitra tidak menerima: siapkan ulang naskah", ApproveLabel: "Disampaikan"},
	{ID: StepReceipt, Process: ProcessDomestic, Activity: "Menerima MoU/PKS", English: "Receive the MoU/PKS",
		Actors: []Role{RoleUnit, RoleUPT}, Inputs: []DocumentKind{DocProofOfDelivery, DocSigned}, HK: 1,
		Finish: ActionReceive, Next: StepDone},

	// B. Foreign agreement.
	{ID: StepForeignStudy, Process: ProcessForeign, Activity: "Menyusun kajian perjanjian", English: "Compose the agreement study",
		Actors: []Role{RoleBKH, RoleUnit}, Outputs: []DocumentKind{DocInitialDraft},
		Optional: []DocumentKind{DocNotaDinas, DocPartnerProposal, DocCounterDraft}, HK: 10,
		Notes:  "Inisiasi eksternal (mitra luar negeri, kedutaan di Jakarta) atau internal (Kepala, Madya, unit kerja); baru atau perpanjangan.",
		Finish: ActionSubmit, Next: StepForeignReview},
	{ID: StepForeignReview, Process: ProcessForeign, Activity: "Mereviu draft / mengkaji counter draft mitra", English: "Review the draft or study the partner's counter draft",
		Actors: []Role{RoleBKH, RoleUnit, RoleBHO}, Inputs: []DocumentKind{DocInitialDraft},
		Outputs: []DocumentKind{DocFirstDraft}, Optional: []DocumentKind{DocCounterDraft}, HK: 20,
		Notes:  "Melibatkan Kemenlu; dapat melibatkan mitra dan kementerian lain; BHO memberi masukan dampak hukum.",
		Finish: ActionSubmit, Next: StepFormulateReview},
	{ID: StepFormulateReview, Process: ProcessForeign, Activity: "Merumuskan dan menyampaikan hasil reviu", English: "Formulate and send the review result",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocFirstDraft}, Outputs: []DocumentKind{DocSecondDraft}, HK: 10,
		Finish: ActionSubmit, Next: StepReviewApproval},
	{ID: StepReviewApproval, Process: ProcessForeign, Activity: "Menyetujui draft hasil reviu", English: "Approve the reviewed draft",
		Actors: []Role{RoleKepala, RoleMadya}, Inputs: []DocumentKind{DocSecondDraft}, HK: 5,
		Finish: ActionApprove, Next: StepSendToKemenlu, RejectTo: StepForeignReview, RejectLabel: "Tidak setuju: kembali ke reviu (B2)", ApproveLabel: "Setuju"},
	{ID: StepSendToKemenlu, Process: ProcessForeign, Activity: "Menyampaikan draft hasil reviu kepada Kemenlu", English: "Send the reviewed draft to KEMENLU",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocSecondDraft}, Outputs: []DocumentKind{DocCoverLetter}, HK: 3,
		Finish: ActionSubmit, Next: StepKemenluReview},
	{ID: StepKemenluReview, Process: ProcessForeign, Activity: "Menerima hasil reviu Kemenlu dan menyampaikan kepada pimpinan", English: "Receive KEMENLU's review, send to leadership",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocCoverLetter}, Outputs: []DocumentKind{DocKemenluReview},
		Optional: []DocumentKind{DocCounterDraft}, HK: 5,
		Notes:  "Koordinasi treaty paper dengan Kemenlu; permintaan Full Powers bila diperlukan.",
		Finish: ActionSubmit, Next: StepFinalDraftApproval},
	{ID: StepFinalDraftApproval, Process: ProcessForeign, Activity: "Menyetujui draft hasil reviu mitra", English: "Approve the partner's reviewed draft",
		Actors: []Role{RoleKepala, RoleMadya}, Inputs: []DocumentKind{DocKemenluReview}, Optional: []DocumentKind{DocFinalDraft}, HK: 5,
		Notes:  "Dapat menerima sebagian atau seluruh masukan sesuai kepentingan BPOM.",
		Finish: ActionApprove, Next: StepPartnerApproval, RejectTo: StepKemenluReview, RejectLabel: "Tidak setuju: kembali ke B6", ApproveLabel: "Setuju (Final Draft)"},
	{ID: StepPartnerApproval, Process: ProcessForeign, Activity: "Menyampaikan final draft kepada mitra untuk persetujuan", English: "Send the final draft to the partner for approval",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocKemenluReview}, Outputs: []DocumentKind{DocFinalDraftPartner},
		Optional: []DocumentKind{DocCounterDraft}, HK: 2,
		Notes:  "Bila mitra mengubah naskah, BPOM mereviu kembali (B2).",
		Finish: ActionApprove, Next: StepPrepareForeignText, RejectTo: StepForeignReview, RejectLabel: "Mitra mengubah naskah: reviu kembali (B2)", ApproveLabel: "Mitra menyetujui"},
	{ID: StepPrepareForeignText, Process: ProcessForeign, Activity: "Menyiapkan naskah untuk penandatanganan", English: "Prepare the text for signing",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocFinalDraftPartner}, Outputs: []DocumentKind{DocTextToSign},
		Optional: []DocumentKind{DocFullPowers}, HK: 10,
		Notes:  "Koordinasi dengan Kemenlu (treaty paper, Full Powers) dan mitra (tata letak, tanggal); sirkuler atau tatap muka.",
		Finish: ActionSubmit, Next: StepForeignSigning},
	{ID: StepForeignSigning, Process: ProcessForeign, Activity: "Menandatangani perjanjian", English: "Sign the agreement",
		Actors: []Role{RoleKepala, RoleMadya}, Inputs: []DocumentKind{DocTextToSign}, Outputs: []DocumentKind{DocSigned},
		HK: 1, SignedBy: true,
		Notes:  "Pada tanggal penandatanganan yang disepakati; di Indonesia, di negara mitra, atau masing-masing di negaranya.",
		Finish: ActionSubmit, Next: StepArchive},
	{ID: StepArchive, Process: ProcessForeign, Activity: "Mengarsipkan MoU/perjanjian yang telah ditandatangani", English: "Archive the signed agreement",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocSigned}, Outputs: []DocumentKind{DocTransmittal, DocCTC}, HK: 5,
		Notes:  "Naskah asli ke ruang perjanjian Kemenlu; Kemenlu mengembalikan CTC; BKH menyimpan CTC.",
		Finish: ActionArchive, Next: StepDone},

	// C. Monitoring and evaluation.
	{ID: StepMonevRequest, Process: ProcessMonitoring, Activity: "Meminta monev kerja sama secara berkala", English: "Request periodic monev",
		Actors: []Role{RoleBKH}, Outputs: []DocumentKind{DocMonevRequest}, Optional: []DocumentKind{DocMonevTemplate}, HK: 3,
		Notes:  "Dapat per triwulan; dapat melibatkan mitra.",
		Finish: ActionSubmit, Next: StepMonevSubmission},
	{ID: StepMonevSubmission, Process: ProcessMonitoring, Activity: "Menyampaikan laporan monev", English: "Submit the monev report",
		Actors: []Role{RoleUnit, RoleUPT}, Inputs: []DocumentKind{DocMonevRequest}, Outputs: []DocumentKind{DocMonevMatrix}, HK: 10,
		Notes:  "Dapat diisi / diunggah daring.",
		Finish: ActionSubmit, Next: StepMonevDiscussion},
	{ID: StepMonevDiscussion, Process: ProcessMonitoring, Activity: "Membahas monev", English: "Discuss the monev",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocMonevMatrix}, Outputs: []DocumentKind{DocMonevDiscussion}, HK: 5,
		Notes:  "Bersama unit kerja / UPT.",
		Finish: ActionSubmit, Next: StepMonevReport},
	{ID: StepMonevReport, Process: ProcessMonitoring, Activity: "Menyusun laporan monev untuk pimpinan", English: "Write the monev report for leadership",
		Actors: []Role{RoleBKH}, Inputs: []DocumentKind{DocMonevDiscussion}, Outputs: []DocumentKind{DocMonevReport}, HK: 5,
		Finish: ActionSubmit, Next: StepDone},
}

var stepIndex = func() map[StepID]*Step {
	m := make(map[StepID]*Step, len(steps))
	for i := range steps {
		m[steps[i].ID] = &steps[i]
	}
	return m
}()

// Steps returns the steps of a process in order (all processes for "").
func Steps(p Process) []Step {
	var out []Step
	for _, s := range steps {
		if p == "" || s.Process == p {
			out = append(out, s)
		}
	}
	return out
}

// LookupStep returns the step with the id, or nil.
func LookupStep(id StepID) *Step {
	return stepIndex[id]
}

// FirstStep is where a process starts.
func FirstStep(p Process) StepID {
	switch p {
	case ProcessDomestic:
		return StepDomesticInitiation
	case ProcessForeign:
		return StepForeignStudy
	case ProcessMonitoring:
		return StepMonevRequest
	}
	return stepNone
}

// ActorsFor returns the roles that may act at the step for this agreement:
// the signatory decides who prepares the text (A8, A9) and who approves
// (A6: SESTAMA too when a Kepala UPT signs, since A5 reports to SESTAMA).
func (s *Step) ActorsFor(a *Agreement) []Role {
	switch s.ID {
	case StepDomesticInitiation:
		if a.InitiatorRole != "" {
			return []Role{a.InitiatorRole, RoleBKH}
		}
	case StepPrepareSigning, StepDelivery:
		if a.Signatory == SignatoryKepalaUPT {
			return []Role{RoleUPT}
		}
	case StepLeadershipApproval:
		if a.Signatory == SignatoryKepalaUPT {
			return []Role{RoleSestama, RoleKepala, RoleMadya}
		}
	case StepReceipt, StepMonevSubmission:
		if a.InitiatorRole == RoleUnit || a.InitiatorRole == RoleUPT {
			return []Role{a.InitiatorRole}
		}
	}
	return s.Actors
}

// SignersFor returns the roles that may sign at a signing step: the
// signatory's role and the partner's signatory (MITRA).
func (s *Step) SignersFor(a *Agreement) []Role {
	if !s.SignedBy {
		return nil
	}
	var rs []Role
	if s.Process == ProcessForeign {
		rs = []Role{RoleKepala, RoleMadya}
		if r := a.Signatory.Role(); r == RoleKepala || r == RoleMadya {
			rs = []Role{r}
		}
	} else if r := a.Signatory.Role(); r != "" {
		rs = []Role{r}
	}
	return append(rs, RoleMitra)
}

// RequiredOutputs returns the documents that must exist before the step
// can be finished: Full Powers for a foreign signing that needs them, a
// power of attorney when a PRATAMA signs.
func (s *Step) RequiredOutputs(a *Agreement) []DocumentKind {
	out := append([]DocumentKind(nil), s.Outputs...)
	switch s.ID {
	case StepReportToLeadership:
		if a.Signatory == SignatoryPratama {
			out = append(out, DocPowerOfAttorney)
		}
	case StepPrepareForeignText:
		if a.NeedsFullPowers {
			out = append(out, DocFullPowers)
		}
	}
	return out
}

// DeadlineHK returns the step's deadline in working days for this
// agreement: A2 is 5 HK when a UPT initiated and 10 HK when a central unit did.
func (s *Step) DeadlineHK(a *Agreement) int {
	if s.ID == StepDraftReview && a.InitiatorRole == RoleUPT {
		return 5
	}
	return s.HK
}

// Uploadable returns the kinds that may be uploaded at the step.
func (s *Step) Uploadable(a *Agreement) []DocumentKind {
	seen := map[DocumentKind]bool{}
	var out []DocumentKind
	for _, group := range [][]DocumentKind{s.RequiredOutputs(a), s.Optional} {
		for _, k := range group {
			if !seen[k] && k != DocSigned {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}
