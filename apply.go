package naskah

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Action is one thing an actor asks to do to an agreement.
type Action struct {
	Kind      ActionKind
	Actor     Actor
	At        time.Time
	Note      string
	RequestID string
	// Document is the version an upload or a signature stored (the engine
	// has written the bytes; Apply records them). Its Version must be the
	// agreement's next version of that kind, or the action is stale.
	Document *DocumentVersion
}

// maxRequests bounds the request ids kept for idempotency.
const maxRequests = 64

// Initiate validates a new agreement (or monev round) and puts it at the
// first step of its process. The actor's role must be one that initiates:
// UNIT or UPT (for their own unit) or BKH for A; BKH or UNIT for B; BKH for C.
func Initiate(a Agreement, actor Actor, at time.Time, cal *Calendar) (Agreement, error) {
	allowed := map[Process][]Role{
		ProcessDomestic:   {RoleUnit, RoleUPT, RoleBKH},
		ProcessForeign:    {RoleBKH, RoleUnit},
		ProcessMonitoring: {RoleBKH},
	}[a.Process]
	if allowed != nil && !slices.Contains(allowed, actor.Role) {
		return a, Errorf(EFORBIDDEN, "only %s may initiate a process %s agreement (%s); you are %s", joinRoles(allowed), a.Process, a.Process.Title(), actor.Role)
	}
	if actor.Role.scoped() {
		if a.Unit != "" && a.Unit != actor.Unit {
			return a, Errorf(EFORBIDDEN, "you may initiate agreements only for your own unit %q, not %q", actor.Unit, a.Unit)
		}
		a.Unit, a.InitiatorRole = actor.Unit, actor.Role
	}
	if a.InitiatorRole == "" {
		a.InitiatorRole = RoleUnit
	}
	if a.InitiatorRole != RoleUnit && a.InitiatorRole != RoleUPT {
		return a, Errorf(EINVALID, "initiator_role must be UNIT or UPT (the unit that owns the agreement), not %q", a.InitiatorRole)
	}
	if a.Signatory == "" && a.Process != ProcessMonitoring {
		a.Signatory = SignatoryKepala
		if a.InitiatorRole == RoleUPT && a.Process == ProcessDomestic {
			a.Signatory = SignatoryKepalaUPT
		}
	}
	if err := a.Validate(); err != nil {
		return a, err
	}
	if a.ID == "" {
		return a, Errorf(EINVALID, "agreement id is empty")
	}
	a.Status = StatusActive
	a.CreatedAt, a.UpdatedAt = at, at
	a.History, a.Documents, a.Audit = nil, nil, nil
	a.Revision = 1
	a.enter(FirstStep(a.Process), at, cal, "")
	a.Audit = AppendAudit(nil, AuditEvent{At: at, User: actor.User, Role: actor.Role, Action: ActionInitiate, To: a.Step,
		Detail: fmt.Sprintf("%s %s: %s (%s, %s)", a.Process, a.Initiation, a.Title, a.Kind, a.Partner.Name)})
	return a, nil
}

// Apply applies an action to a copy of the agreement and returns the copy,
// or an error that says which role may act, which step the agreement is at,
// or which document is missing. It never changes a.
func Apply(a Agreement, act Action, cal *Calendar) (Agreement, error) {
	a = a.clone()
	if a.Status != StatusActive {
		return a, Errorf(ECONFLICT, "agreement %s is %s: no more actions are possible", a.ID, a.Status)
	}
	st := a.CurrentStep()
	if st == nil {
		return a, Errorf(EINTERNAL, "agreement %s is at unknown step %q", a.ID, a.Step)
	}
	if err := authorise(&a, st, act); err != nil {
		return a, err
	}
	cur := a.Current()
	var docs []string
	var to StepID
	detail := act.Note

	switch act.Kind {
	case ActionUpload, ActionSign:
		d := act.Document
		if d == nil {
			return a, Errorf(EINVALID, "%s needs a document", act.Kind)
		}
		if act.Kind == ActionUpload && !slices.Contains(st.Uploadable(&a), d.Kind) {
			return a, Errorf(EINVALID, "a %s (%s) cannot be uploaded at %s (%s): this step takes %s", d.Kind.Title(), d.Kind, st.ID, st.Activity, kindList(st.Uploadable(&a)))
		}
		if act.Kind == ActionSign && d.Kind != DocSigned {
			return a, Errorf(EINVALID, "a signature produces a %s document, not %s", DocSigned, d.Kind)
		}
		if act.Kind == ActionSign && a.HasSigned(act.Actor) {
			return a, Errorf(ECONFLICT, "Anda sudah menandatangani naskah ini — You have already signed this text")
		}
		if want := a.NextVersion(d.Kind); d.Version != want {
			return a, Errorf(ECONFLICT, "the agreement changed: %s is now at version %d, this upload was for version %d; reload and try again", d.Kind, want-1, d.Version)
		}
		d.Step = st.ID
		a.Documents = append(a.Documents, *d)
		cur.Produced = append(cur.Produced, d.Ref())
		docs = append(docs, fmt.Sprintf("%s v%d %s", d.Kind, d.Version, d.SHA256))
		if act.Kind == ActionSign {
			t := act.At
			a.SignedAt = &t
			detail = strings.TrimSpace("signed by " + string(act.Actor.Role) + " " + act.Actor.User + ". " + act.Note)
		}

	case ActionReject:
		if strings.TrimSpace(act.Note) == "" {
			return a, Errorf(EINVALID, "a rejection needs a note saying why, so the previous step knows what to change")
		}
		to = st.RejectTo
		a.finish(act, st, cal)
		a.enter(to, act.At, cal, "")

	case ActionReturn:
		if strings.TrimSpace(act.Note) == "" {
			return a, Errorf(EINVALID, "returning a step needs a note saying what to fix")
		}
		prev := a.previousStep()
		if prev == stepNone {
			return a, Errorf(ECONFLICT, "%s is the first step: there is no step to return it to", st.ID)
		}
		to = prev
		a.finish(act, st, cal)
		a.enter(to, act.At, cal, st.ID)

	default: // the step's finishing action
		if missing := a.missingInputs(st); len(missing) > 0 {
			return a, Errorf(EINVALID, "cannot %s at %s (%s): the inputs %s are missing; upload them first", act.Kind, st.ID, st.Activity, kindList(missing))
		}
		if st.SignedBy {
			if err := a.checkSigned(st); err != nil {
				return a, err
			}
		}
		if missing := a.missingOutputs(st, cur); len(missing) > 0 {
			return a, Errorf(EINVALID, "cannot %s at %s (%s): upload %s first", act.Kind, st.ID, st.Activity, kindList(missing))
		}
		to = st.Next
		a.finish(act, st, cal)
		if to == StepDone {
			a.Step, a.Status = StepDone, StatusCompleted
		} else {
			a.enter(to, act.At, cal, "")
		}
	}

	a.Revision++
	a.UpdatedAt = act.At
	if act.RequestID != "" {
		a.Requests = append(a.Requests, act.RequestID)
		if n := len(a.Requests); n > maxRequests {
			a.Requests = a.Requests[n-maxRequests:]
		}
	}
	a.Audit = AppendAudit(a.Audit, AuditEvent{At: act.At, User: act.Actor.User, Role: act.Actor.Role, Action: act.Kind,
		Step: st.ID, To: to, Detail: detail, Documents: docs, RequestID: act.RequestID})
	return a, nil
}

// Allowed lists the actions the actor may take now (for the UI and API),
// without checking documents.
func Allowed(a *Agreement, actor Actor) []ActionKind {
	if a.Status != StatusActive {
		return nil
	}
	st := a.CurrentStep()
	if st == nil {
		return nil
	}
	var out []ActionKind
	for _, k := range []ActionKind{ActionUpload, st.Finish, ActionReject, ActionReturn, ActionSign} {
		if slices.Contains(out, k) {
			continue
		}
		if k == ActionSign && a.HasSigned(actor) {
			continue // one signature per person on the current text
		}
		if authorise(a, st, Action{Kind: k, Actor: actor}) == nil {
			out = append(out, k)
		}
	}
	return out
}

// authorise checks that the action exists at this step and that the actor
// may take it, naming who may when not.
func authorise(a *Agreement, st *Step, act Action) error {
	valid := map[ActionKind]bool{ActionUpload: true, st.Finish: true, ActionReturn: len(a.History) > 1}
	if st.Decision() {
		valid[ActionReject] = true
	}
	if st.SignedBy {
		valid[ActionSign] = true
	}
	if !valid[act.Kind] {
		return Errorf(ECONFLICT, "%q is not possible at step %s (%s); this step is finished with %q", act.Kind, st.ID, st.Activity, st.Finish)
	}
	roles := st.ActorsFor(a)
	if act.Kind == ActionSign {
		roles = st.SignersFor(a)
	}
	if !slices.Contains(roles, act.Actor.Role) {
		return Errorf(EFORBIDDEN, "only %s may %s at step %s (%s); you are %s", joinRoles(roles), act.Kind, st.ID, st.Activity, roleOrNone(act.Actor.Role))
	}
	if act.Actor.Role.scoped() && act.Actor.Unit != a.Unit {
		return Errorf(EFORBIDDEN, "this agreement belongs to unit %q; you act for %q", a.Unit, act.Actor.Unit)
	}
	if act.Actor.Role == RoleMitra && !act.Actor.CanSee(a) {
		return Errorf(EFORBIDDEN, "you are not a party to this agreement")
	}
	return nil
}

func roleOrNone(r Role) string {
	if r == "" {
		return "not signed in with a role"
	}
	return string(r)
}

func (a *Agreement) enter(id StepID, at time.Time, cal *Calendar, returnedFrom StepID) {
	a.Step = id
	e := StepEntry{Step: id, Entered: at, ReturnedFrom: returnedFrom}
	st := LookupStep(id)
	if st != nil {
		if st.ID == StepForeignSigning && a.SigningDate != nil {
			due := endOfDay(*a.SigningDate)
			e.Due = &due
		} else if hk := st.DeadlineHK(a); hk > 0 && cal != nil {
			due, warn := cal.AddWorkingDays(at, hk)
			e.Due, e.DueWarning = &due, warn
		}
		for _, k := range st.Inputs {
			if d := a.Latest(k); d != nil {
				e.Consumed = append(e.Consumed, d.Ref())
			}
		}
	}
	a.History = append(a.History, e)
}

func (a *Agreement) finish(act Action, st *Step, cal *Calendar) {
	cur := a.Current()
	if cur == nil {
		return
	}
	t := act.At
	cur.Done, cur.By, cur.Role, cur.Decision, cur.Note = &t, act.Actor.User, act.Actor.Role, act.Kind, act.Note
}

// previousStep is the step before the current one in this passage.
func (a *Agreement) previousStep() StepID {
	for i := len(a.History) - 2; i >= 0; i-- {
		if a.History[i].Step != a.Step {
			return a.History[i].Step
		}
	}
	return stepNone
}

func (a *Agreement) missingInputs(st *Step) []DocumentKind {
	var missing []DocumentKind
	for _, k := range st.Inputs {
		if a.Latest(k) == nil {
			missing = append(missing, k)
		}
	}
	return missing
}

// missingOutputs lists required outputs not produced during this passage
// through the step: a step re-entered after a reject must produce anew.
func (a *Agreement) missingOutputs(st *Step, cur *StepEntry) []DocumentKind {
	var missing []DocumentKind
	for _, k := range st.RequiredOutputs(a) {
		found := false
		for _, r := range cur.Produced {
			if r.Kind == k {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, k)
		}
	}
	return missing
}

// CurrentSigned returns the newest signed text made from the newest text
// to sign, or nil: a signed text from before the text was prepared again
// (A9 back to A8) no longer counts.
func (a *Agreement) CurrentSigned() *DocumentVersion {
	for i := len(a.Documents) - 1; i >= 0; i-- {
		switch a.Documents[i].Kind {
		case DocSigned:
			return &a.Documents[i]
		case DocTextToSign:
			return nil
		}
	}
	return nil
}

// HasSigned reports whether the actor's signature is on the current signed text.
func (a *Agreement) HasSigned(actor Actor) bool {
	d := a.CurrentSigned()
	return d != nil && slices.Contains(d.Signers, SignerTag(actor.Role, actor.User))
}

// MissingSigners returns who still has to sign the current text at a
// signing step: BPOM's signatory per delegation (any one of the roles
// SignersFor lists, e.g. KEPALA or MADYA abroad) and the partner (MITRA).
func (a *Agreement) MissingSigners(st *Step) []Role {
	roles := st.SignersFor(a)
	if len(roles) == 0 {
		return nil
	}
	bpom, partner := roles[:len(roles)-1], roles[len(roles)-1]
	var signed []Role
	if d := a.CurrentSigned(); d != nil {
		for _, s := range d.Signers {
			if r, _, ok := strings.Cut(s, ":"); ok {
				signed = append(signed, Role(r))
			}
		}
	}
	var missing []Role
	if !slices.ContainsFunc(bpom, func(r Role) bool { return slices.Contains(signed, r) }) {
		missing = append(missing, bpom...)
	}
	if !slices.Contains(signed, partner) {
		missing = append(missing, partner)
	}
	return missing
}

// checkSigned requires every required signer on the current signed text:
// the signatory per delegation and the partner.
func (a *Agreement) checkSigned(st *Step) error {
	missing := a.MissingSigners(st)
	if len(missing) == 0 {
		return nil
	}
	roles := st.SignersFor(a)
	var who []string
	if bpom := roles[:len(roles)-1]; len(missing) > 0 && missing[0] != RoleMitra {
		who = append(who, joinRoles(bpom)+" (BPOM)")
	}
	if missing[len(missing)-1] == RoleMitra {
		who = append(who, "MITRA ("+a.Partner.Name+")")
	}
	list := strings.Join(who, " dan ")
	listEN := strings.Join(who, " and ")
	return Errorf(EINVALID, "naskah belum ditandatangani oleh semua penandatangan: masih menunggu tanda tangan %s — the text is not yet signed by every required signer: still waiting for the signature of %s", list, listEN)
}

func kindList(ks []DocumentKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = fmt.Sprintf("%s (%s)", k.Title(), k)
	}
	if len(s) == 0 {
		return "no documents"
	}
	return strings.Join(s, ", ")
}

func (a Agreement) clone() Agreement {
	a.History = slices.Clone(a.History)
	for i := range a.History {
		a.History[i].Consumed = slices.Clone(a.History[i].Consumed)
		a.History[i].Produced = slices.Clone(a.History[i].Produced)
	}
	a.Documents = slices.Clone(a.Documents)
	for i := range a.Documents {
		a.Documents[i].Signers = slices.Clone(a.Documents[i].Signers)
		a.Documents[i].Signatures = slices.Clone(a.Documents[i].Signatures)
	}
	a.Audit = slices.Clone(a.Audit)
	a.Requests = slices.Clone(a.Requests)
	return a
}

// SignerTag is how a signature is recorded in DocumentVersion.Signers.
func SignerTag(r Role, user string) string { return string(r) + ":" + user }
