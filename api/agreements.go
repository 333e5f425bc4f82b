package api

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// initiateRequest is what a person enters to initiate; the engine sets
// everything else (id, step, history, revision).
type initiateRequest struct {
	ID              string               `json:"id,omitempty"`
	Number          string               `json:"number,omitempty"`
	Title           string               `json:"title"`
	Kind            naskah.AgreementKind `json:"kind"`
	Scope           naskah.Scope         `json:"scope,omitempty"`
	Process         naskah.Process       `json:"process"`
	Initiation      naskah.Initiation    `json:"initiation,omitempty"`
	Extends         string               `json:"extends,omitempty"`
	Partner         naskah.Partner       `json:"partner"`
	Unit            string               `json:"unit,omitempty"`
	InitiatorRole   naskah.Role          `json:"initiator_role,omitempty"`
	Signatory       naskah.Signatory     `json:"signatory,omitempty"`
	NeedsFullPowers bool                 `json:"needs_full_powers,omitempty"`
	SigningDate     *time.Time           `json:"signing_date,omitempty"`
	ValidFrom       *time.Time           `json:"valid_from,omitempty"`
	ValidUntil      *time.Time           `json:"valid_until,omitempty"`
}

func (s *Server) initiate(c *fiber.Ctx) error {
	var r initiateRequest
	if err := s.decodeJSON(c, &r); err != nil {
		return err
	}
	if r.Process == naskah.ProcessMonitoring {
		return naskah.Errorf(naskah.EINVALID, "monev rounds (process C) are opened with POST %s/monev/rounds", Prefix)
	}
	rid, err := requestID(c)
	if err != nil {
		return err
	}
	a, err := s.engine.Initiate(c.UserContext(), actor(c), naskah.Agreement{ID: r.ID, Number: r.Number, Title: r.Title, Kind: r.Kind,
		Scope: r.Scope, Process: r.Process, Initiation: r.Initiation, Extends: r.Extends, Partner: r.Partner, Unit: r.Unit,
		InitiatorRole: r.InitiatorRole, Signatory: r.Signatory, NeedsFullPowers: r.NeedsFullPowers, SigningDate: r.SigningDate,
		ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil}, rid)
	s.metrics.action(string(naskah.ActionInitiate), err)
	if err != nil {
		return err
	}
	c.Location(Prefix + "/agreements/" + a.ID)
	return c.Status(fiber.StatusCreated).JSON(s.view(a, actor(c)))
}

// agreementView is an agreement as the API shows it: the record plus what
// the caller needs to act — the timeline, the deadline and the actions.
type agreementView struct {
	*naskah.Agreement
	Timeline       []timelineStep        `json:"timeline"`
	Deadline       *deadlineView         `json:"deadline,omitempty"`
	Actors         []naskah.Role         `json:"actors,omitempty"` // who may act at the current step
	AllowedActions []naskah.ActionKind   `json:"allowed_actions"`
	Uploadable     []naskah.DocumentKind `json:"uploadable,omitempty"`
}

// timelineStep is one step of the process with every passage through it.
type timelineStep struct {
	Step     naskah.StepID      `json:"step"`
	Activity string             `json:"activity"`
	English  string             `json:"english"`
	Actors   []naskah.Role      `json:"actors"`
	HK       int                `json:"hk,omitempty"`
	State    string             `json:"state"` // done, current, pending
	Passages []naskah.StepEntry `json:"passages,omitempty"`
}

type deadlineView struct {
	Due     time.Time             `json:"due"`
	Status  naskah.DeadlineStatus `json:"status"`
	Warning string                `json:"warning,omitempty"`
}

func (s *Server) view(a *naskah.Agreement, who naskah.Actor) agreementView {
	v := agreementView{Agreement: a, AllowedActions: naskah.Allowed(a, who)}
	if v.AllowedActions == nil {
		v.AllowedActions = []naskah.ActionKind{}
	}
	if st := a.CurrentStep(); st != nil {
		v.Actors = st.ActorsFor(a)
		if slices.Contains(v.AllowedActions, naskah.ActionUpload) {
			v.Uploadable = st.Uploadable(a)
		}
	}
	if cur := a.Current(); cur != nil && cur.Due != nil {
		v.Deadline = &deadlineView{Due: *cur.Due, Status: cur.Status(s.engine.Now(), s.engine.Calendar), Warning: cur.DueWarning}
	}
	for _, st := range naskah.Steps(a.Process) {
		t := timelineStep{Step: st.ID, Activity: st.Activity, English: st.English, Actors: st.ActorsFor(a), HK: st.DeadlineHK(a), State: "pending"}
		for _, e := range a.History {
			if e.Step == st.ID {
				t.Passages = append(t.Passages, e)
				t.State = "done"
			}
		}
		if st.ID == a.Step && a.Status == naskah.StatusActive {
			t.State = "current"
		}
		v.Timeline = append(v.Timeline, t)
	}
	return v
}

// agreementItem is one row of a list.
type agreementItem struct {
	ID             string                `json:"id"`
	Number         string                `json:"number,omitempty"`
	Title          string                `json:"title"`
	Kind           naskah.AgreementKind  `json:"kind"`
	Process        naskah.Process        `json:"process"`
	Partner        naskah.Partner        `json:"partner"`
	Unit           string                `json:"unit"`
	Step           naskah.StepID         `json:"step"`
	Status         naskah.Status         `json:"status"`
	Revision       int                   `json:"revision"`
	UpdatedAt      time.Time             `json:"updated_at"`
	Due            *time.Time            `json:"due,omitempty"`
	DeadlineStatus naskah.DeadlineStatus `json:"deadline_status,omitempty"`
}

type listResponse struct {
	Total  int             `json:"total"`
	Offset int             `json:"offset"`
	Limit  int             `json:"limit"`
	Items  []agreementItem `json:"items"`
}

func (s *Server) listAgreements(c *fiber.Ctx) error {
	offset, err := intParam("offset", c.Query("offset"), 0)
	if err != nil {
		return err
	}
	limit, err := intParam("limit", c.Query("limit"), 50)
	if err != nil {
		return err
	}
	if offset < 0 || limit < 1 || limit > 500 {
		return naskah.Errorf(naskah.EINVALID, "offset %d, limit %d: use offset ≥ 0 and limit 1 to 500", offset, limit)
	}
	all, err := s.engine.List(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	match := func(want string, got string) bool {
		return want == "" || slices.Contains(strings.Split(want, ","), got)
	}
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	now := s.engine.Now()
	out := listResponse{Offset: offset, Limit: limit, Items: []agreementItem{}}
	for _, a := range all {
		if !match(c.Query("process"), string(a.Process)) || !match(c.Query("status"), string(a.Status)) ||
			!match(c.Query("step"), string(a.Step)) || !match(c.Query("unit"), a.Unit) || !match(c.Query("kind"), string(a.Kind)) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(a.Title+"\x00"+a.Partner.Name+"\x00"+a.Number+"\x00"+a.ID), q) {
			continue
		}
		out.Total++
		if out.Total <= offset || len(out.Items) >= limit {
			continue
		}
		it := agreementItem{ID: a.ID, Number: a.Number, Title: a.Title, Kind: a.Kind, Process: a.Process, Partner: a.Partner,
			Unit: a.Unit, Step: a.Step, Status: a.Status, Revision: a.Revision, UpdatedAt: a.UpdatedAt}
		if cur := a.Current(); cur != nil && cur.Due != nil {
			it.Due, it.DeadlineStatus = cur.Due, cur.Status(now, s.engine.Calendar)
		}
		out.Items = append(out.Items, it)
	}
	return c.JSON(out)
}

func (s *Server) getAgreement(c *fiber.Ctx) error {
	a, err := s.engine.Get(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s.view(a, actor(c)))
}

func (s *Server) audit(c *fiber.Ctx) error {
	a, err := s.engine.Get(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	res := fiber.Map{"agreement_id": a.ID, "events": a.Audit, "verified": true}
	if err := naskah.VerifyAudit(a.Audit); err != nil {
		res["verified"], res["problem"] = false, err.Error()
	}
	return c.JSON(res)
}

// actionRequest is the body of an action; both fields are optional.
type actionRequest struct {
	Note     string `json:"note"`
	Revision int    `json:"revision"`
}

// routeActions are the document-less actions the actions route takes.
func routeActions() []naskah.ActionKind {
	return []naskah.ActionKind{naskah.ActionSubmit, naskah.ActionApprove, naskah.ActionReject, naskah.ActionReturn,
		naskah.ActionDeliver, naskah.ActionReceive, naskah.ActionArchive}
}

func (s *Server) act(c *fiber.Ctx) error {
	kind := naskah.ActionKind(c.Params("action"))
	if !slices.Contains(routeActions(), kind) {
		return naskah.Errorf(naskah.EINVALID, "action %q is unknown here: use submit, approve, reject, return, deliver, receive or archive (uploads go to /documents, signatures to /sign)", kind)
	}
	var r actionRequest
	if err := s.decodeJSON(c, &r); err != nil {
		return err
	}
	rid, err := requestID(c)
	if err != nil {
		return err
	}
	a, err := s.engine.Act(c.UserContext(), pipeline.Request{Actor: actor(c), ID: c.Params("id"), RequestID: rid, Revision: r.Revision, Note: r.Note}, kind)
	s.metrics.action(string(kind), err)
	if err != nil {
		return err
	}
	return c.JSON(s.view(a, actor(c)))
}

func (s *Server) openMonev(c *fiber.Ctx) error {
	var r struct {
		Period       string   `json:"period"`
		AgreementIDs []string `json:"agreement_ids"`
	}
	if err := s.decodeJSON(c, &r); err != nil {
		return err
	}
	rounds, err := s.engine.OpenMonevRound(c.UserContext(), actor(c), r.Period, r.AgreementIDs)
	s.metrics.action("monev", err)
	if err != nil {
		return err
	}
	views := make([]agreementView, 0, len(rounds))
	for _, a := range rounds {
		views = append(views, s.view(a, actor(c)))
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"rounds": views})
}

func (s *Server) deadlines(c *fiber.Ctx) error {
	d, err := s.engine.Deadlines(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(d)
}
