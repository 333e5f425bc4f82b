package naskah_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
)

var (
	bkh     = naskah.Actor{User: "bkh1", Role: naskah.RoleBKH}
	bho     = naskah.Actor{User: "bho1", Role: naskah.RoleBHO}
	kepala  = naskah.Actor{User: "kepala", Role: naskah.RoleKepala}
	madya   = naskah.Actor{User: "deputi1", Role: naskah.RoleMadya}
	sestama = naskah.Actor{User: "sestama", Role: naskah.RoleSestama}
	upt     = naskah.Actor{User: "upt-bdg", Role: naskah.RoleUPT, Unit: "BBPOM Bandung"}
	uptX    = naskah.Actor{User: "upt-sby", Role: naskah.RoleUPT, Unit: "BBPOM Surabaya"}
	unit    = naskah.Actor{User: "ditwas", Role: naskah.RoleUnit, Unit: "Direktorat Pengawasan Obat"}
	mitra   = naskah.Actor{User: "who", Role: naskah.RoleMitra, Unit: "World Health Organization"}
)

// walker drives an agreement through the SOP with a fixed clock that moves
// one working day per action.
type walker struct {
	t   *testing.T
	cal *naskah.Calendar
	now time.Time
	a   naskah.Agreement
}

func newWalker(t *testing.T, a naskah.Agreement, by naskah.Actor) *walker {
	t.Helper()
	w := &walker{t: t, cal: naskah.DefaultCalendar(), now: day("2026-11-02")}
	var err error
	w.a, err = naskah.Initiate(a, by, w.now, w.cal)
	if err != nil {
		t.Fatalf("Initiate: %v", err)
	}
	return w
}

func (w *walker) tick() time.Time {
	w.now, _ = w.cal.AddWorkingDays(w.now, 1)
	w.now = w.now.Add(-14 * time.Hour) // 09:59 WIB of the next working day
	return w.now
}

func (w *walker) do(act naskah.Action) error {
	w.t.Helper()
	act.At = w.tick()
	next, err := naskah.Apply(w.a, act, w.cal)
	if err == nil {
		w.a = next
	}
	return err
}

func (w *walker) must(act naskah.Action) {
	w.t.Helper()
	if err := w.do(act); err != nil {
		w.t.Fatalf("%s by %s at %s: %v", act.Kind, act.Actor.Role, w.a.Step, err)
	}
}

func (w *walker) upload(by naskah.Actor, kind naskah.DocumentKind) {
	w.t.Helper()
	w.must(naskah.Action{Kind: naskah.ActionUpload, Actor: by, Document: w.doc(kind)})
}

func (w *walker) doc(kind naskah.DocumentKind) *naskah.DocumentVersion {
	v := w.a.NextVersion(kind)
	return &naskah.DocumentVersion{Kind: kind, Version: v, Key: naskah.DocumentKey(w.a.ID, kind), VersionID: fmt.Sprint(v),
		SHA256: strings.Repeat("a", 64), Size: 100}
}

func (w *walker) sign(by naskah.Actor) {
	w.t.Helper()
	d := w.doc(naskah.DocSigned)
	if prev := w.a.CurrentSigned(); prev != nil {
		d.Signers = slices.Clone(prev.Signers)
	}
	d.Signers = append(d.Signers, naskah.SignerTag(by.Role, by.User))
	w.must(naskah.Action{Kind: naskah.ActionSign, Actor: by, Document: d})
}

// finish uploads the step's required outputs and finishes it.
func (w *walker) finish(by naskah.Actor) {
	w.t.Helper()
	st := w.a.CurrentStep()
	for _, k := range st.RequiredOutputs(&w.a) {
		if k != naskah.DocSigned {
			w.upload(by, k)
		}
	}
	w.must(naskah.Action{Kind: st.Finish, Actor: by})
}

func (w *walker) at(want naskah.StepID) {
	w.t.Helper()
	if w.a.Step != want {
		w.t.Fatalf("agreement at %s, want %s", w.a.Step, want)
	}
}

func domestic(by naskah.Actor) naskah.Agreement {
	return naskah.Agreement{ID: "ag-a", Title: "PKS Pengawasan Pangan Olahan", Kind: naskah.KindPKS, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "Universitas Padjadjaran", Kind: naskah.PartnerAcademia, Country: "ID"}, Unit: by.Unit}
}

func foreign() naskah.Agreement {
	return naskah.Agreement{ID: "ag-b", Title: "MoU on Regulatory Cooperation in Medical Products", Kind: naskah.KindMoU,
		Process: naskah.ProcessForeign, Partner: naskah.Partner{Name: "World Health Organization", Kind: naskah.PartnerInternational, Country: "CH"},
		Unit: "Direktorat Pengawasan Obat", NeedsFullPowers: true}
}

func TestProcessAByUPT(t *testing.T) {
	w := newWalker(t, domestic(upt), upt)
	if w.a.Signatory != naskah.SignatoryKepalaUPT {
		t.Fatalf("signatory = %s, want KEPALA_UPT by default for a UPT", w.a.Signatory)
	}
	w.at(naskah.StepDomesticInitiation)
	w.finish(upt)
	w.at(naskah.StepDraftReview)
	// A2 takes 5 HK when a UPT initiated.
	cur := w.a.Current()
	want, _ := w.cal.AddWorkingDays(cur.Entered, 5)
	if !cur.Due.Equal(want) {
		t.Fatalf("A2 due %v, want %v (5 HK)", cur.Due, want)
	}
	w.finish(bkh)
	w.finish(bkh) // A3
	w.finish(bho) // A4
	w.finish(bkh) // A5: reports to SESTAMA since a Kepala UPT signs
	w.at(naskah.StepLeadershipApproval)
	if err := w.do(naskah.Action{Kind: naskah.ActionReject, Actor: sestama}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("reject without note: %v, want invalid", err)
	}
	w.must(naskah.Action{Kind: naskah.ActionReject, Actor: sestama, Note: "Pasal 3 perlu diperjelas"})
	w.at(naskah.StepLegalFormulation)
	// Back at A4, BHO must produce a new final draft: the old one does not count.
	if err := w.do(naskah.Action{Kind: naskah.ActionSubmit, Actor: bho}); naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "final_draft") {
		t.Fatalf("resubmit without new draft: %v, want invalid naming final_draft", err)
	}
	w.finish(bho)
	w.finish(bkh)
	w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: sestama})
	w.at(naskah.StepSendApproval)
	w.finish(bkh)
	w.at(naskah.StepPrepareSigning)
	// A8 is prepared by the UPT, not BKH, when a Kepala UPT signs.
	if err := w.do(naskah.Action{Kind: naskah.ActionUpload, Actor: bkh, Document: w.doc(naskah.DocTextToSign)}); naskah.ErrorCode(err) != naskah.EFORBIDDEN || !strings.Contains(err.Error(), "UPT") {
		t.Fatalf("BKH preparing a Kepala UPT text: %v, want forbidden naming UPT", err)
	}
	w.finish(upt)
	w.at(naskah.StepDelivery)
	if err := w.do(naskah.Action{Kind: naskah.ActionDeliver, Actor: upt}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("deliver unsigned: %v, want invalid", err)
	}
	if err := w.do(naskah.Action{Kind: naskah.ActionSign, Actor: kepala, Document: w.doc(naskah.DocSigned)}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("KEPALA signing a Kepala UPT agreement: %v, want forbidden", err)
	}
	w.sign(upt)
	w.sign(naskah.Actor{User: "rektor", Role: naskah.RoleMitra, Unit: "Universitas Padjadjaran"})
	w.upload(upt, naskah.DocProofOfDelivery)
	w.must(naskah.Action{Kind: naskah.ActionDeliver, Actor: upt})
	w.at(naskah.StepReceipt)
	if err := w.do(naskah.Action{Kind: naskah.ActionReceive, Actor: uptX}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("another UPT receiving: %v, want forbidden", err)
	}
	w.must(naskah.Action{Kind: naskah.ActionReceive, Actor: upt})
	if w.a.Status != naskah.StatusCompleted || w.a.Step != naskah.StepDone {
		t.Fatalf("status %s at %s, want completed at DONE", w.a.Status, w.a.Step)
	}
	if err := w.do(naskah.Action{Kind: naskah.ActionUpload, Actor: bkh, Document: w.doc(naskah.DocCTC)}); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Fatalf("action on a completed agreement: %v, want conflict", err)
	}
	checkHistory(t, w)
}

// checkHistory checks every entry's due date against the calendar.
func checkHistory(t *testing.T, w *walker) {
	t.Helper()
	for i, e := range w.a.History {
		st := naskah.LookupStep(e.Step)
		hk := st.DeadlineHK(&w.a)
		if e.Step == naskah.StepForeignSigning && w.a.SigningDate != nil {
			continue
		}
		if hk == 0 {
			if e.Due != nil {
				t.Errorf("history %d (%s): due %v, want none", i, e.Step, e.Due)
			}
			continue
		}
		want, _ := w.cal.AddWorkingDays(e.Entered, hk)
		if e.Due == nil || !e.Due.Equal(want) {
			t.Errorf("history %d (%s): due %v, want %v (%d HK)", i, e.Step, e.Due, want, hk)
		}
		if e.Done == nil && i != len(w.a.History)-1 {
			t.Errorf("history %d (%s) is not done", i, e.Step)
		}
	}
	if err := naskah.VerifyAudit(w.a.Audit); err != nil {
		t.Errorf("audit: %v", err)
	}
}

func TestProcessAByCentralUnitWithPratama(t *testing.T) {
	a := domestic(unit)
	a.Signatory = naskah.SignatoryPratama
	w := newWalker(t, a, unit)
	w.finish(unit)
	cur := w.a.Current()
	want, _ := w.cal.AddWorkingDays(cur.Entered, 10)
	if !cur.Due.Equal(want) {
		t.Fatalf("A2 due %v, want 10 HK for a central unit", cur.Due)
	}
	w.finish(bkh)
	w.finish(bkh)
	w.finish(bho)
	// A5 needs the power of attorney for a PRATAMA signatory.
	w.upload(bkh, naskah.DocReportNotaDinas)
	if err := w.do(naskah.Action{Kind: naskah.ActionSubmit, Actor: bkh}); err == nil || !strings.Contains(err.Error(), "power_of_attorney") {
		t.Fatalf("A5 without power of attorney: %v, want invalid naming power_of_attorney", err)
	}
	w.upload(bkh, naskah.DocPowerOfAttorney)
	w.must(naskah.Action{Kind: naskah.ActionSubmit, Actor: bkh})
	// Not reported to SESTAMA: only KEPALA or MADYA approve.
	if err := w.do(naskah.Action{Kind: naskah.ActionApprove, Actor: sestama}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("SESTAMA approving a PRATAMA-signed agreement: %v, want forbidden", err)
	}
	w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: madya})
	w.finish(bkh) // A7
	w.finish(bkh) // A8 by BKH
	w.sign(naskah.Actor{User: "direktur", Role: naskah.RolePratama})
	w.sign(naskah.Actor{User: "rektor", Role: naskah.RoleMitra, Unit: "Universitas Padjadjaran"})
	w.upload(bkh, naskah.DocProofOfDelivery)
	// A9's second decision: the partner does not accept → back to A8.
	w.must(naskah.Action{Kind: naskah.ActionReject, Actor: bkh, Note: "mitra meminta perbaikan tata letak"})
	w.at(naskah.StepPrepareSigning)
	w.finish(bkh)
	w.sign(naskah.Actor{User: "direktur", Role: naskah.RolePratama})
	w.sign(naskah.Actor{User: "rektor", Role: naskah.RoleMitra, Unit: "Universitas Padjadjaran"})
	w.upload(bkh, naskah.DocProofOfDelivery)
	w.must(naskah.Action{Kind: naskah.ActionDeliver, Actor: bkh})
	w.must(naskah.Action{Kind: naskah.ActionReceive, Actor: unit})
	if w.a.Status != naskah.StatusCompleted {
		t.Fatalf("status %s, want completed", w.a.Status)
	}
	checkHistory(t, w)
}

func TestProcessB(t *testing.T) {
	a := foreign()
	sd := day("2026-12-15")
	a.SigningDate = &sd
	w := newWalker(t, a, bkh)
	w.upload(bkh, naskah.DocCounterDraft)
	w.finish(bkh) // B1
	w.at(naskah.StepForeignReview)
	w.finish(bkh) // B2
	w.finish(bkh) // B3
	w.must(naskah.Action{Kind: naskah.ActionReject, Actor: kepala, Note: "selaraskan dengan kepentingan BPOM"})
	w.at(naskah.StepForeignReview)
	w.finish(unit) // B2 again, by the unit this time
	w.finish(bkh)
	w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: kepala})
	w.finish(bkh) // B5
	w.finish(bkh) // B6
	w.must(naskah.Action{Kind: naskah.ActionReject, Actor: madya, Note: "masukan Kemenlu belum diakomodasi"})
	w.at(naskah.StepKemenluReview)
	w.finish(bkh)
	w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: kepala}) // B7
	w.at(naskah.StepPartnerApproval)
	w.upload(bkh, naskah.DocFinalDraftPartner)
	w.upload(bkh, naskah.DocCounterDraft)
	w.must(naskah.Action{Kind: naskah.ActionReject, Actor: bkh, Note: "mitra mengubah pasal 5"})
	w.at(naskah.StepForeignReview)
	w.finish(bkh)
	w.finish(bkh)
	w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: kepala})
	w.finish(bkh)
	w.finish(bkh)
	w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: kepala})
	w.finish(bkh) // B8 accepted
	w.at(naskah.StepPrepareForeignText)
	w.upload(bkh, naskah.DocTextToSign)
	if err := w.do(naskah.Action{Kind: naskah.ActionSubmit, Actor: bkh}); err == nil || !strings.Contains(err.Error(), "full_powers") {
		t.Fatalf("B9 without Full Powers: %v, want invalid naming full_powers", err)
	}
	w.upload(bkh, naskah.DocFullPowers)
	w.must(naskah.Action{Kind: naskah.ActionSubmit, Actor: bkh})
	w.at(naskah.StepForeignSigning)
	if due := w.a.Current().Due; due == nil || due.Format("2006-01-02") != "2026-12-15" {
		t.Fatalf("B10 due %v, want the agreed signing date 2026-12-15", due)
	}
	if err := w.do(naskah.Action{Kind: naskah.ActionSubmit, Actor: kepala}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("B10 submit before signing: %v, want invalid", err)
	}
	w.sign(kepala)
	w.sign(mitra)
	if got := w.a.Latest(naskah.DocSigned).Signers; len(got) != 2 {
		t.Fatalf("signers = %v, want KEPALA then MITRA", got)
	}
	w.must(naskah.Action{Kind: naskah.ActionSubmit, Actor: kepala})
	w.at(naskah.StepArchive)
	w.upload(bkh, naskah.DocTransmittal)
	if err := w.do(naskah.Action{Kind: naskah.ActionArchive, Actor: bkh}); err == nil || !strings.Contains(err.Error(), "ctc") {
		t.Fatalf("archive without CTC: %v, want invalid naming ctc", err)
	}
	w.upload(bkh, naskah.DocCTC)
	w.must(naskah.Action{Kind: naskah.ActionArchive, Actor: bkh})
	if w.a.Status != naskah.StatusCompleted {
		t.Fatalf("status %s, want completed", w.a.Status)
	}
	checkHistory(t, w)
}

func TestProcessC(t *testing.T) {
	a := naskah.Agreement{ID: "monev-1", Title: "Monev 2026-Q4: PKS Pengawasan", Process: naskah.ProcessMonitoring,
		Monitors: "ag-a", Period: "2026-Q4", Unit: upt.Unit, InitiatorRole: naskah.RoleUPT}
	w := newWalker(t, a, bkh)
	w.finish(bkh)
	if err := w.do(naskah.Action{Kind: naskah.ActionSubmit, Actor: uptX}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("another UPT's matrix: %v, want forbidden", err)
	}
	w.finish(upt)
	w.finish(bkh)
	w.finish(bkh)
	if w.a.Status != naskah.StatusCompleted {
		t.Fatalf("status %s, want completed", w.a.Status)
	}
	checkHistory(t, w)
}

// TestWrongRoles tries every role at every step of A and B and checks that
// only the step's actors may finish it, and that the refusal names them.
func TestWrongRoles(t *testing.T) {
	actors := map[naskah.Role]naskah.Actor{
		naskah.RoleKepala: kepala, naskah.RoleMadya: madya, naskah.RolePratama: {User: "dir", Role: naskah.RolePratama},
		naskah.RoleSestama: sestama, naskah.RoleBKH: bkh, naskah.RoleBHO: bho, naskah.RoleUnit: unit,
		naskah.RoleUPT: {User: "u", Role: naskah.RoleUPT, Unit: unit.Unit}, naskah.RoleKemenlu: {User: "k", Role: naskah.RoleKemenlu},
		naskah.RoleMitra: mitra,
	}
	for _, start := range []struct {
		name string
		a    naskah.Agreement
		by   naskah.Actor
	}{{"A", domestic(unit), unit}, {"B", foreign(), bkh}} {
		w := newWalker(t, start.a, start.by)
		for w.a.Status == naskah.StatusActive {
			st := w.a.CurrentStep()
			allowed := st.ActorsFor(&w.a)
			for _, r := range naskah.Roles {
				act := naskah.Action{Kind: st.Finish, Actor: actors[r], At: w.now}
				_, err := naskah.Apply(w.a, act, w.cal)
				if slices.Contains(allowed, r) {
					if naskah.ErrorCode(err) == naskah.EFORBIDDEN {
						t.Errorf("%s %s: %s refused: %v", start.name, st.ID, r, err)
					}
					continue
				}
				if naskah.ErrorCode(err) != naskah.EFORBIDDEN {
					t.Errorf("%s %s: %s by %s: got %v, want forbidden", start.name, st.ID, st.Finish, r, err)
				} else if !strings.Contains(err.Error(), string(allowed[0])) {
					t.Errorf("%s %s: refusal %q does not name %s", start.name, st.ID, err, allowed[0])
				}
			}
			// Move on with the first allowed actor.
			by := actors[allowed[0]]
			if st.SignedBy {
				w.sign(actors[st.SignersFor(&w.a)[0]])
				w.sign(naskah.Actor{User: "mitra", Role: naskah.RoleMitra, Unit: w.a.Partner.Name})
			}
			if st.Decision() && st.Finish == naskah.ActionApprove {
				for _, k := range st.RequiredOutputs(&w.a) {
					w.upload(by, k)
				}
				w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: by})
				continue
			}
			w.finish(by)
		}
	}
}

func TestWrongStepAndStale(t *testing.T) {
	w := newWalker(t, domestic(unit), unit)
	if err := w.do(naskah.Action{Kind: naskah.ActionApprove, Actor: unit}); naskah.ErrorCode(err) != naskah.ECONFLICT || !strings.Contains(err.Error(), "A1") {
		t.Fatalf("approve at A1: %v, want conflict naming A1", err)
	}
	if err := w.do(naskah.Action{Kind: naskah.ActionUpload, Actor: unit, Document: w.doc(naskah.DocCTC)}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("CTC at A1: %v, want invalid", err)
	}
	stale := w.doc(naskah.DocInitialDraft)
	w.upload(unit, naskah.DocInitialDraft)
	if err := w.do(naskah.Action{Kind: naskah.ActionUpload, Actor: unit, Document: stale}); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Fatalf("stale version: %v, want conflict", err)
	}
	if err := w.do(naskah.Action{Kind: naskah.ActionSign, Actor: kepala, Document: w.doc(naskah.DocSigned)}); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Fatalf("sign at A1: %v, want conflict", err)
	}
	if err := w.do(naskah.Action{Kind: naskah.ActionReturn, Actor: unit, Note: "x"}); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Fatalf("return at the first step: %v, want conflict", err)
	}
	before := w.a.Revision
	w.finish(unit)
	// A return sends the agreement back to the previous step.
	w.must(naskah.Action{Kind: naskah.ActionReturn, Actor: bkh, Note: "lengkapi Nota Dinas"})
	w.at(naskah.StepDomesticInitiation)
	if w.a.Current().ReturnedFrom != naskah.StepDraftReview {
		t.Fatalf("returned_from = %q, want A2", w.a.Current().ReturnedFrom)
	}
	if w.a.Revision <= before {
		t.Fatalf("revision did not grow")
	}
}

func TestInitiateRefusals(t *testing.T) {
	cal := naskah.DefaultCalendar()
	now := day("2026-11-02")
	tests := []struct {
		name string
		a    naskah.Agreement
		by   naskah.Actor
		code string
	}{
		{"BHO initiates", domestic(unit), bho, naskah.EFORBIDDEN},
		{"UPT for another unit", naskah.Agreement{ID: "x", Title: "t", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "p", Kind: naskah.PartnerSociety}, Unit: "BBPOM Medan"}, upt, naskah.EFORBIDDEN},
		{"PKS abroad", naskah.Agreement{ID: "x", Title: "t", Kind: naskah.KindPKS, Process: naskah.ProcessForeign, Partner: naskah.Partner{Name: "p", Kind: naskah.PartnerGovernment, Country: "JP"}, Unit: "u"}, bkh, naskah.EINVALID},
		{"no title", naskah.Agreement{ID: "x", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "p", Kind: naskah.PartnerSociety}}, unit, naskah.EINVALID},
		{"extension without link", naskah.Agreement{ID: "x", Title: "t", Kind: naskah.KindMoU, Initiation: naskah.InitiationExtension, Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "p", Kind: naskah.PartnerSociety}}, unit, naskah.EINVALID},
		{"unknown partner kind", naskah.Agreement{ID: "x", Title: "t", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "p", Kind: "alien"}}, unit, naskah.EINVALID},
		{"foreign without country", naskah.Agreement{ID: "x", Title: "t", Kind: naskah.KindMoU, Process: naskah.ProcessForeign, Partner: naskah.Partner{Name: "p", Kind: naskah.PartnerGovernment}, Unit: "u"}, bkh, naskah.EINVALID},
		{"monev by UPT", naskah.Agreement{ID: "x", Title: "t", Process: naskah.ProcessMonitoring, Monitors: "a", Unit: "u"}, upt, naskah.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := naskah.Initiate(tt.a, tt.by, now, cal)
			if got := naskah.ErrorCode(err); got != tt.code {
				t.Fatalf("got %s (%v), want %s", got, err, tt.code)
			}
		})
	}
	ext := domestic(unit)
	ext.Initiation, ext.Extends = naskah.InitiationExtension, "ag-old"
	if _, err := naskah.Initiate(ext, unit, now, cal); err != nil {
		t.Fatalf("extension: %v", err)
	}
}

func TestApplyDoesNotChangeInput(t *testing.T) {
	w := newWalker(t, domestic(unit), unit)
	before := len(w.a.Documents)
	_, err := naskah.Apply(w.a, naskah.Action{Kind: naskah.ActionUpload, Actor: unit, At: w.now, Document: w.doc(naskah.DocNotaDinas)}, w.cal)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.a.Documents) != before || len(w.a.Audit) != 1 {
		t.Fatalf("Apply changed its input")
	}
}

func TestAllowed(t *testing.T) {
	w := newWalker(t, domestic(upt), upt)
	if got := naskah.Allowed(&w.a, upt); !slices.Contains(got, naskah.ActionSubmit) || !slices.Contains(got, naskah.ActionUpload) {
		t.Fatalf("Allowed(UPT at A1) = %v, want upload and submit", got)
	}
	if got := naskah.Allowed(&w.a, bho); len(got) != 0 {
		t.Fatalf("Allowed(BHO at A1) = %v, want none", got)
	}
}

func TestDeadlineStatus(t *testing.T) {
	cal := naskah.DefaultCalendar()
	due, _ := cal.AddWorkingDays(day("2026-11-02"), 5) // Mon 9 Nov
	e := naskah.StepEntry{Step: naskah.StepDraftReview, Entered: day("2026-11-02"), Due: &due}
	tests := []struct {
		now  string
		want naskah.DeadlineStatus
	}{
		{"2026-11-03", naskah.DeadlineOnTime},
		{"2026-11-05", naskah.DeadlineDueSoon},
		{"2026-11-09", naskah.DeadlineDueSoon},
		{"2026-11-10", naskah.DeadlineOverdue},
	}
	for _, tt := range tests {
		if got := e.Status(day(tt.now), cal); got != tt.want {
			t.Errorf("status at %s = %s, want %s", tt.now, got, tt.want)
		}
	}
	done := day("2026-11-12")
	e.Done = &done
	if got := e.Status(day("2026-11-20"), cal); got != naskah.DeadlineOverdue {
		t.Errorf("done late: %s, want overdue", got)
	}
}

// TestRequiredSigners: a signing step is finished only when BPOM's
// signatory per delegation and the partner have both signed the current
// text; the refusal names who is missing, and nobody is offered a second
// signature.
func TestRequiredSigners(t *testing.T) {
	rektor := naskah.Actor{User: "rektor", Role: naskah.RoleMitra, Unit: "Universitas Padjadjaran"}
	toA9 := func(t *testing.T) *walker {
		a := domestic(unit)
		w := newWalker(t, a, unit)
		for w.a.Step != naskah.StepDelivery {
			st := w.a.CurrentStep()
			by := bkh
			switch {
			case st.Decision() && st.Finish == naskah.ActionApprove:
				for _, k := range st.RequiredOutputs(&w.a) {
					w.upload(bkh, k)
				}
				w.must(naskah.Action{Kind: naskah.ActionApprove, Actor: kepala})
				continue
			case slices.Contains(st.ActorsFor(&w.a), naskah.RoleUnit):
				by = unit
			case slices.Contains(st.ActorsFor(&w.a), naskah.RoleBHO):
				by = bho
			}
			w.finish(by)
		}
		w.upload(bkh, naskah.DocProofOfDelivery)
		return w
	}
	deliver := func(w *walker) error { return w.do(naskah.Action{Kind: naskah.ActionDeliver, Actor: bkh}) }

	t.Run("only BPOM signed", func(t *testing.T) {
		w := toA9(t)
		w.sign(kepala)
		err := deliver(w)
		if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "MITRA (Universitas Padjadjaran)") || strings.Contains(err.Error(), "KEPALA") {
			t.Fatalf("deliver with only KEPALA's signature: %v, want invalid naming only MITRA", err)
		}
		if w.a.Step != naskah.StepDelivery {
			t.Fatalf("at %s after a refused deliver, want A9", w.a.Step)
		}
	})
	t.Run("only the partner signed", func(t *testing.T) {
		w := toA9(t)
		w.sign(rektor)
		err := deliver(w)
		if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "KEPALA (BPOM)") || strings.Contains(err.Error(), "MITRA") {
			t.Fatalf("deliver with only the partner's signature: %v, want invalid naming KEPALA", err)
		}
	})
	t.Run("nobody signed", func(t *testing.T) {
		w := toA9(t)
		err := deliver(w)
		if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "KEPALA (BPOM) dan MITRA") {
			t.Fatalf("deliver unsigned: %v, want invalid naming KEPALA and MITRA", err)
		}
	})
	t.Run("both signed, no second signature offered", func(t *testing.T) {
		w := toA9(t)
		if !slices.Contains(naskah.Allowed(&w.a, kepala), naskah.ActionSign) {
			t.Fatalf("KEPALA is not offered sign before signing: %v", naskah.Allowed(&w.a, kepala))
		}
		w.sign(kepala)
		if got := naskah.Allowed(&w.a, kepala); slices.Contains(got, naskah.ActionSign) {
			t.Fatalf("KEPALA is offered sign after signing: %v", got)
		}
		if !slices.Contains(naskah.Allowed(&w.a, rektor), naskah.ActionSign) {
			t.Fatalf("the partner is not offered sign: %v", naskah.Allowed(&w.a, rektor))
		}
		d := w.doc(naskah.DocSigned)
		d.Signers = append(slices.Clone(w.a.CurrentSigned().Signers), naskah.SignerTag(kepala.Role, kepala.User))
		if err := w.do(naskah.Action{Kind: naskah.ActionSign, Actor: kepala, Document: d}); naskah.ErrorCode(err) != naskah.ECONFLICT {
			t.Fatalf("KEPALA signing twice: %v, want conflict", err)
		}
		w.sign(rektor)
		if got := naskah.Allowed(&w.a, rektor); slices.Contains(got, naskah.ActionSign) {
			t.Fatalf("the partner is offered sign after signing: %v", got)
		}
		if err := deliver(w); err != nil {
			t.Fatalf("deliver with both signatures: %v", err)
		}
	})
	t.Run("signatures on an earlier text do not count", func(t *testing.T) {
		w := toA9(t)
		w.sign(kepala)
		w.sign(rektor)
		w.must(naskah.Action{Kind: naskah.ActionReject, Actor: bkh, Note: "mitra meminta perbaikan tata letak"})
		w.finish(bkh) // A8 again: a new text to sign
		w.upload(bkh, naskah.DocProofOfDelivery)
		if w.a.CurrentSigned() != nil {
			t.Fatalf("a signed text of the old text counts as current")
		}
		if err := deliver(w); naskah.ErrorCode(err) != naskah.EINVALID {
			t.Fatalf("deliver with signatures on the old text only: %v, want invalid", err)
		}
		if !slices.Contains(naskah.Allowed(&w.a, kepala), naskah.ActionSign) {
			t.Fatalf("KEPALA is not offered sign on the new text")
		}
	})
	t.Run("foreign: KEPALA or MADYA and the partner", func(t *testing.T) {
		st := naskah.LookupStep(naskah.StepForeignSigning)
		a := foreign()
		a.Signatory = ""
		who := naskah.Actor{User: "who", Role: naskah.RoleMitra, Unit: a.Partner.Name}
		a.Documents = []naskah.DocumentVersion{{Kind: naskah.DocTextToSign, Version: 1}, {Kind: naskah.DocSigned, Version: 1, Signers: []string{"MADYA:deputi1"}}}
		if got := a.MissingSigners(st); !slices.Equal(got, []naskah.Role{naskah.RoleMitra}) {
			t.Fatalf("MADYA signed: missing %v, want [MITRA]", got)
		}
		a.Documents[1].Signers = append(a.Documents[1].Signers, naskah.SignerTag(who.Role, who.User))
		if got := a.MissingSigners(st); len(got) != 0 {
			t.Fatalf("MADYA and MITRA signed: missing %v, want none", got)
		}
		a.Documents[1].Signers = []string{"MITRA:who"}
		if got := a.MissingSigners(st); !slices.Equal(got, []naskah.Role{naskah.RoleKepala, naskah.RoleMadya}) {
			t.Fatalf("only MITRA signed: missing %v, want [KEPALA MADYA]", got)
		}
	})
}
