package naskah

// Scope says whether an agreement is domestic (process A) or foreign (B).
type Scope string

const (
	ScopeDomestic Scope = "domestic" // Dalam Negeri
	ScopeForeign  Scope = "foreign"  // Luar Negeri
)

// AgreementKind is the form of the agreement.
type AgreementKind string

const (
	KindMoU              AgreementKind = "mou"         // Nota Kesepahaman / Memorandum of Understanding
	KindPKS              AgreementKind = "pks"         // Perjanjian Kerja Sama (domestic only)
	KindAgreement        AgreementKind = "agreement"   // foreign
	KindArrangement      AgreementKind = "arrangement" // foreign
	KindLetterOfIntent   AgreementKind = "loi"         // foreign
	KindRecordDiscussion AgreementKind = "rod"         // foreign
	KindMinutesOfMeeting AgreementKind = "mom"         // foreign
	KindOther            AgreementKind = "other"       // foreign
)

var agreementKindNames = map[AgreementKind]string{
	KindMoU: "MoU (Nota Kesepahaman)", KindPKS: "PKS (Perjanjian Kerja Sama)",
	KindAgreement: "Agreement", KindArrangement: "Arrangement", KindLetterOfIntent: "Letter of Intent",
	KindRecordDiscussion: "Record of Discussion", KindMinutesOfMeeting: "Minutes of Meeting", KindOther: "Lainnya",
}

// Title is the kind's display name.
func (k AgreementKind) Title() string { return agreementKindNames[k] }

// AllowedIn reports whether the kind exists in the scope: domestic
// agreements are MoU or PKS; foreign ones anything but PKS.
func (k AgreementKind) AllowedIn(s Scope) bool {
	if _, ok := agreementKindNames[k]; !ok {
		return false
	}
	switch s {
	case ScopeDomestic:
		return k == KindMoU || k == KindPKS
	case ScopeForeign:
		return k != KindPKS
	}
	return false
}

// PartnerKind is one of the five partner kinds of the process map.
type PartnerKind string

const (
	PartnerBusiness      PartnerKind = "business"      // Pelaku Usaha
	PartnerGovernment    PartnerKind = "government"    // Pemerintah
	PartnerInternational PartnerKind = "international" // Organisasi Internasional
	PartnerSociety       PartnerKind = "society"       // Masyarakat
	PartnerAcademia      PartnerKind = "academia"      // Akademisi
)

var partnerKindNames = map[PartnerKind]string{
	PartnerBusiness: "Pelaku Usaha", PartnerGovernment: "Pemerintah", PartnerInternational: "Organisasi Internasional",
	PartnerSociety: "Masyarakat", PartnerAcademia: "Akademisi",
}

// Valid reports whether k is one of the five kinds.
func (k PartnerKind) Valid() bool { _, ok := partnerKindNames[k]; return ok }

// Title is the Indonesian name.
func (k PartnerKind) Title() string { return partnerKindNames[k] }

// Partner is the other party (mitra).
type Partner struct {
	Name    string      `json:"name"`
	Kind    PartnerKind `json:"kind"`
	Country string      `json:"country,omitempty"` // ISO 3166 alpha-2; "ID" for domestic
}

// Initiation is new or an extension (perpanjangan) of an earlier agreement.
type Initiation string

const (
	InitiationNew       Initiation = "new"
	InitiationExtension Initiation = "extension"
)

// Signatory says who signs for BPOM, which decides who prepares the text
// (A8) and to whom A5 reports (SESTAMA or KEPALA).
type Signatory string

const (
	SignatoryKepala    Signatory = "KEPALA"
	SignatoryMadya     Signatory = "MADYA"
	SignatoryPratama   Signatory = "PRATAMA" // with a power of attorney (surat kuasa) where required
	SignatoryKepalaUPT Signatory = "KEPALA_UPT"
)

// Role is the role of the official who signs.
func (s Signatory) Role() Role {
	switch s {
	case SignatoryKepala:
		return RoleKepala
	case SignatoryMadya:
		return RoleMadya
	case SignatoryPratama:
		return RolePratama
	case SignatoryKepalaUPT:
		return RoleUPT
	}
	return ""
}

// Valid reports whether s is a known signatory.
func (s Signatory) Valid() bool { return s.Role() != "" }

// DocumentKind is a kind of document that flows through the SOP. Each kind
// has one storage key per agreement; each upload is a new version.
type DocumentKind string

const (
	DocNotaDinas         DocumentKind = "nota_dinas"          // Nota Dinas / Disposisi / surat (initiation)
	DocPartnerProposal   DocumentKind = "partner_proposal"    // usulan mitra / kajian unit / rencana kerja sama
	DocInitialDraft      DocumentKind = "initial_draft"       // draft awal
	DocCounterDraft      DocumentKind = "counter_draft"       // the partner's draft in response
	DocReviewedDraft     DocumentKind = "reviewed_draft"      // draft hasil reviu (BKH)
	DocReviewNotaDinas   DocumentKind = "review_nota_dinas"   // Nota Dinas hasil telaahan
	DocFirstDraft        DocumentKind = "first_draft"         // First Draft (hasil reviu BPOM)
	DocSecondDraft       DocumentKind = "second_draft"        // Second Draft
	DocFinalDraft        DocumentKind = "final_draft"         // draft final hasil rumusan (BHO) / Final Draft (B7)
	DocLegalNotaDinas    DocumentKind = "legal_nota_dinas"    // Nota Dinas conveying the final draft (A4)
	DocReportNotaDinas   DocumentKind = "report_nota_dinas"   // Nota Dinas laporan to leadership (A5)
	DocApprovedDraft     DocumentKind = "approved_draft"      // draft yang disetujui
	DocCoverLetter       DocumentKind = "cover_letter"        // surat penyampaian / surat pengantar
	DocFullPowers        DocumentKind = "full_powers"         // Full Powers (Surat Kuasa Presiden/Menteri)
	DocPowerOfAttorney   DocumentKind = "power_of_attorney"   // surat kuasa for a PRATAMA signatory
	DocFinalDraftPartner DocumentKind = "final_draft_partner" // final draft document sent to the partner (B8)
	DocKemenluReview     DocumentKind = "kemenlu_review"      // KEMENLU's review / study of the counter draft (B6)
	DocTextToSign        DocumentKind = "text_to_sign"        // naskah yang akan ditandatangani
	DocSigned            DocumentKind = "signed"              // signed agreement
	DocProofOfDelivery   DocumentKind = "proof_of_delivery"   // bukti penyampaian
	DocTransmittal       DocumentKind = "transmittal_letter"  // letter transmitting the signed original
	DocCTC               DocumentKind = "ctc"                 // certified true copy from KEMENLU
	DocMonevRequest      DocumentKind = "monev_request"       // monev request letter / Nota Dinas
	DocMonevTemplate     DocumentKind = "monev_template"      // monev matrix template
	DocMonevMatrix       DocumentKind = "monev_matrix"        // matriks monev
	DocMonevDiscussion   DocumentKind = "monev_discussion"    // discussion result
	DocMonevReport       DocumentKind = "monev_report"        // laporan monev
)

var documentKindNames = map[DocumentKind]string{
	DocNotaDinas: "Nota Dinas / Disposisi / Surat", DocPartnerProposal: "Usulan mitra / kajian",
	DocInitialDraft: "Draft awal", DocCounterDraft: "Counter draft", DocReviewedDraft: "Draft hasil reviu",
	DocReviewNotaDinas: "Nota Dinas hasil telaahan", DocFirstDraft: "First Draft", DocSecondDraft: "Second Draft",
	DocFinalDraft: "Draft final", DocLegalNotaDinas: "Nota Dinas penyampaian draft final",
	DocReportNotaDinas: "Nota Dinas laporan kepada pimpinan", DocApprovedDraft: "Draft yang disetujui",
	DocCoverLetter: "Surat penyampaian", DocFullPowers: "Full Powers", DocPowerOfAttorney: "Surat kuasa",
	DocFinalDraftPartner: "Dokumen final draft", DocKemenluReview: "Hasil reviu Kemenlu",
	DocTextToSign: "Naskah yang akan ditandatangani", DocSigned: "Naskah yang telah ditandatangani",
	DocProofOfDelivery: "Bukti penyampaian", DocTransmittal: "Surat penyampaian naskah asli",
	DocCTC: "Certified True Copy (CTC)", DocMonevRequest: "Permintaan monev", DocMonevTemplate: "Template matriks monev",
	DocMonevMatrix: "Matriks monev", DocMonevDiscussion: "Hasil pembahasan monev", DocMonevReport: "Laporan monev",
}

// DocumentKinds lists every document kind.
func DocumentKinds() []DocumentKind {
	return []DocumentKind{DocNotaDinas, DocPartnerProposal, DocInitialDraft, DocCounterDraft, DocReviewedDraft,
		DocReviewNotaDinas, DocFirstDraft, DocSecondDraft, DocFinalDraft, DocLegalNotaDinas, DocReportNotaDinas,
		DocApprovedDraft, DocCoverLetter, DocFullPowers, DocPowerOfAttorney, DocFinalDraftPartner, DocKemenluReview,
		DocTextToSign, DocSigned, DocProofOfDelivery, DocTransmittal, DocCTC, DocMonevRequest, DocMonevTemplate,
		DocMonevMatrix, DocMonevDiscussion, DocMonevReport}
}

// Valid reports whether k is a known document kind.
func (k DocumentKind) Valid() bool { _, ok := documentKindNames[k]; return ok }

// Title is the Indonesian name of the kind.
func (k DocumentKind) Title() string {
	if n, ok := documentKindNames[k]; ok {
		return n
	}
	return string(k)
}

// IsDraft reports whether documents of this kind get the draft watermark.
func (k DocumentKind) IsDraft() bool {
	switch k {
	case DocInitialDraft, DocCounterDraft, DocReviewedDraft, DocFirstDraft, DocSecondDraft, DocFinalDraft,
		DocApprovedDraft, DocFinalDraftPartner, DocKemenluReview:
		return true
	}
	return false
}

// IsFinalDraft reports whether the watermark says FINAL DRAFT.
func (k DocumentKind) IsFinalDraft() bool {
	return k == DocFinalDraft || k == DocApprovedDraft || k == DocFinalDraftPartner
}

// Retained reports whether versions of this kind are kept under retention
// (object lock) for the archive period: the signed original and the CTC.
func (k DocumentKind) Retained() bool { return k == DocSigned || k == DocCTC }
