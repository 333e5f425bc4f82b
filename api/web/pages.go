package web

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// form returns a copy of a form value: Fiber reuses its buffers after the
// handler returns, and values reach records and logs.
func form(c *fiber.Ctx, key string) string {
	return strings.TrimSpace(utils.CopyString(c.FormValue(key)))
}

func param(c *fiber.Ctx, key string) string { return utils.CopyString(c.Params(key)) }

// --- login ---

func (u *UI) loginPage(c *fiber.Ctx) error {
	if _, ok := c.Locals(localActor).(naskah.Actor); ok {
		return u.redirect(c, "/")
	}
	v := u.newView(c, u.tr(c, "login.title"), "login")
	v.Form["next"] = safeNext(c.Query("next"))
	return u.render(c, http.StatusOK, "login", v)
}

func (u *UI) login(c *fiber.Ctx) error {
	v := u.newView(c, u.tr(c, "login.title"), "login")
	user, pass := form(c, "user"), c.FormValue("password")
	v.Form["user"], v.Form["next"] = user, safeNext(form(c, "next"))
	if user == "" || pass == "" {
		v.Error = u.tr(c, "login.required")
		return u.render(c, http.StatusBadRequest, "login", v)
	}
	_, token, err := u.auth.Login(c.UserContext(), u.client(c), user, pass)
	if err != nil {
		v.Error = u.userMessage(c, err)
		return u.render(c, statusOf(err), "login", v)
	}
	c.Cookie(&fiber.Cookie{Name: cookieSession, Value: token, Path: "/", HTTPOnly: true, SameSite: "Lax", Secure: u.secure})
	next := v.Form["next"]
	if next == "" {
		next = "/"
	}
	return u.redirect(c, next)
}

// safeNext keeps only what LocalTarget accepts (and not the login page
// itself), so the login form is no open redirect and no header injection.
func safeNext(s string) string {
	t, ok := LocalTarget(s)
	if !ok || strings.HasPrefix(t, "/login") {
		return ""
	}
	return t
}

func (u *UI) logout(c *fiber.Ctx) error {
	if tok, ok := c.Locals(localToken).(string); ok {
		if err := u.auth.Logout(c.UserContext(), tok); err != nil {
			// The session still works: say so and keep the cookie, so the
			// user can log out again once storage is back.
			return u.sessionsUnavailable(c, err)
		}
	}
	c.Cookie(&fiber.Cookie{Name: cookieSession, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0), HTTPOnly: true, SameSite: "Lax", Secure: u.secure})
	return u.redirect(c, "/login")
}

// --- dashboard ---

type task struct {
	A       *naskah.Agreement
	Allowed []naskah.ActionKind
	Due     *time.Time
	Status  naskah.DeadlineStatus
}

type dashData struct {
	Tasks       []task
	Deadlines   *pipeline.Deadlines
	CanInitiate bool
}

func (u *UI) dashboard(c *fiber.Ctx, actor naskah.Actor) error {
	ctx := c.UserContext()
	all, err := u.eng.List(ctx, actor)
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	dl, err := u.eng.Deadlines(ctx, actor)
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	now := u.now()
	d := dashData{Deadlines: dl, CanInitiate: canInitiate(actor)}
	for _, a := range all {
		al := naskah.Allowed(a, actor)
		if len(al) == 0 {
			continue
		}
		t := task{A: a, Allowed: al, Status: naskah.DeadlineNone}
		if cur := a.Current(); cur != nil {
			t.Due, t.Status = cur.Due, cur.Status(now, u.eng.Calendar)
		}
		d.Tasks = append(d.Tasks, t)
	}
	// Most urgent first: overdue, due soon, then by due date.
	rank := map[naskah.DeadlineStatus]int{naskah.DeadlineOverdue: 0, naskah.DeadlineDueSoon: 1, naskah.DeadlineOnTime: 2, naskah.DeadlineNone: 3}
	sort.SliceStable(d.Tasks, func(i, j int) bool {
		a, b := d.Tasks[i], d.Tasks[j]
		if rank[a.Status] != rank[b.Status] {
			return rank[a.Status] < rank[b.Status]
		}
		return a.Due != nil && (b.Due == nil || a.Due.Before(*b.Due))
	})
	v := u.newView(c, u.tr(c, "dash.title"), "home")
	v.Data = d
	return u.render(c, http.StatusOK, "dashboard", v)
}

func canInitiate(a naskah.Actor) bool {
	switch a.Role {
	case naskah.RoleUnit, naskah.RoleUPT, naskah.RoleBKH:
		return true
	}
	return false
}

// --- list ---

type listData struct {
	Items                    []*naskah.Agreement
	Q, Process, Status, Unit string
	Units                    []string
	Processes                []naskah.Process
	Statuses                 []naskah.Status
	CanInitiate              bool
	Deadline                 map[string]naskah.DeadlineStatus
}

func (u *UI) list(c *fiber.Ctx, actor naskah.Actor) error {
	all, err := u.eng.List(c.UserContext(), actor)
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	d := listData{Q: strings.TrimSpace(c.Query("q")), Process: c.Query("process"), Status: c.Query("status"), Unit: c.Query("unit"),
		Processes:   []naskah.Process{naskah.ProcessDomestic, naskah.ProcessForeign, naskah.ProcessMonitoring},
		Statuses:    []naskah.Status{naskah.StatusActive, naskah.StatusCompleted, naskah.StatusCancelled},
		CanInitiate: canInitiate(actor), Deadline: map[string]naskah.DeadlineStatus{}}
	units := map[string]bool{}
	q := strings.ToLower(d.Q)
	now := u.now()
	for _, a := range all {
		units[a.Unit] = true
		switch {
		case d.Process != "" && string(a.Process) != d.Process,
			d.Status != "" && string(a.Status) != d.Status,
			d.Unit != "" && a.Unit != d.Unit,
			q != "" && !strings.Contains(strings.ToLower(a.Title+" "+a.Partner.Name+" "+a.Number+" "+a.ID), q):
			continue
		}
		d.Items = append(d.Items, a)
		if cur := a.Current(); cur != nil {
			d.Deadline[a.ID] = cur.Status(now, u.eng.Calendar)
		}
	}
	for un := range units {
		if un != "" {
			d.Units = append(d.Units, un)
		}
	}
	sort.Strings(d.Units)
	v := u.newView(c, u.tr(c, "list.title"), "list")
	v.Data = d
	return u.render(c, http.StatusOK, "list", v)
}

// --- initiate ---

type initData struct {
	Kinds        []naskah.AgreementKind
	PartnerKinds []naskah.PartnerKind
	Signatories  []naskah.Signatory
	Scoped       bool // UNIT/UPT: the unit is the actor's own
}

func (u *UI) initiateData(actor naskah.Actor) initData {
	return initData{
		Kinds: []naskah.AgreementKind{naskah.KindMoU, naskah.KindPKS, naskah.KindAgreement, naskah.KindArrangement,
			naskah.KindLetterOfIntent, naskah.KindRecordDiscussion, naskah.KindMinutesOfMeeting, naskah.KindOther},
		PartnerKinds: []naskah.PartnerKind{naskah.PartnerBusiness, naskah.PartnerGovernment, naskah.PartnerInternational, naskah.PartnerSociety, naskah.PartnerAcademia},
		Signatories:  []naskah.Signatory{naskah.SignatoryKepala, naskah.SignatoryMadya, naskah.SignatoryPratama, naskah.SignatoryKepalaUPT},
		Scoped:       actor.Role == naskah.RoleUnit || actor.Role == naskah.RoleUPT,
	}
}

func (u *UI) initiatePage(c *fiber.Ctx, actor naskah.Actor) error {
	v := u.newView(c, u.tr(c, "new.title"), "new")
	v.Data = u.initiateData(actor)
	v.Form["process"], v.Form["kind"], v.Form["partner_kind"], v.Form["initiation"] = "A", "mou", "government", "new"
	v.Form["unit"], v.Form["initiator_role"] = actor.Unit, "UNIT"
	if !canInitiate(actor) {
		v.Error = u.tr(c, "new.cannot")
	}
	return u.render(c, http.StatusOK, "initiate", v)
}

func (u *UI) initiate(c *fiber.Ctx, actor naskah.Actor) error {
	v := u.newView(c, u.tr(c, "new.title"), "new")
	v.Data = u.initiateData(actor)
	for _, k := range []string{"title", "process", "kind", "partner", "partner_kind", "country", "unit", "initiator_role",
		"signatory", "initiation", "extends", "valid_from", "valid_until", "request_id"} {
		v.Form[k] = form(c, k)
	}
	f := v.Form
	for _, k := range []string{"title", "partner"} {
		if f[k] == "" {
			v.Errors[k] = u.tr(c, "new.required")
		}
	}
	if f["unit"] == "" && !v.Data.(initData).Scoped {
		v.Errors["unit"] = u.tr(c, "new.required")
	}
	if naskah.Process(f["process"]) == naskah.ProcessMonitoring {
		// Rounds are opened on the monev page, which checks what they monitor.
		v.Errors["process"], v.Error = u.tr(c, "new.nomonev"), u.tr(c, "new.nomonev")
	}
	a := naskah.Agreement{Title: f["title"], Process: naskah.Process(f["process"]), Kind: naskah.AgreementKind(f["kind"]),
		Partner: naskah.Partner{Name: f["partner"], Kind: naskah.PartnerKind(f["partner_kind"]), Country: strings.ToUpper(f["country"])},
		Unit:    f["unit"], InitiatorRole: naskah.Role(f["initiator_role"]), Signatory: naskah.Signatory(f["signatory"]),
		Initiation: naskah.Initiation(f["initiation"]), Extends: f["extends"]}
	if a.Process == naskah.ProcessDomestic && a.Partner.Country == "" {
		a.Partner.Country = "ID"
	}
	for _, k := range []string{"valid_from", "valid_until"} {
		if f[k] == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", f[k], naskah.Jakarta)
		if err != nil {
			v.Errors[k] = u.tr(c, "new.baddate")
			continue
		}
		if k == "valid_from" {
			a.ValidFrom = &t
		} else {
			a.ValidUntil = &t
		}
	}
	if len(v.Errors) > 0 {
		return u.render(c, http.StatusBadRequest, "initiate", v)
	}
	created, err := u.eng.Initiate(c.UserContext(), actor, a, f["request_id"])
	if err != nil {
		v.Error = u.userMessage(c, err)
		return u.render(c, statusOf(err), "initiate", v)
	}
	return u.redirect(c, "/agreements/"+created.ID)
}

// --- detail ---

type timelineEntry struct {
	naskah.StepEntry
	Current  bool
	Deadline naskah.DeadlineStatus
}

type docGroup struct {
	Kind     naskah.DocumentKind
	Versions []naskah.DocumentVersion
}

type detailData struct {
	A          *naskah.Agreement
	Step       *naskah.Step
	Allowed    []naskah.ActionKind
	Uploadable []naskah.DocumentKind
	Required   []naskah.DocumentKind
	Waiting    []naskah.Role
	Timeline   []timelineEntry
	Upcoming   []naskah.Step
	Docs       []docGroup
	AuditErr   string
	RequestID  string
	MaxMB      int64
	VerifyURL  string
	Flash      string
}

func (u *UI) detail(c *fiber.Ctx, actor naskah.Actor) error {
	a, err := u.eng.Get(c.UserContext(), actor, param(c, "id"))
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	v := u.newView(c, a.Title, "list")
	switch c.Query("done") {
	case "upload":
		v.Flash = u.tr(c, "up.done")
	case "act":
		v.Flash = u.tr(c, "act.done")
	}
	return u.renderDetail(c, v, actor, a, http.StatusOK)
}

func (u *UI) renderDetail(c *fiber.Ctx, v *view, actor naskah.Actor, a *naskah.Agreement, status int) error {
	now := u.now()
	d := detailData{A: a, Step: a.CurrentStep(), Allowed: naskah.Allowed(a, actor), RequestID: randomHex(12),
		MaxMB: u.eng.Config.Limits.MaxBytes >> 20}
	if d.Step != nil {
		d.Uploadable = d.Step.Uploadable(a)
		d.Required = d.Step.RequiredOutputs(a)
		d.Waiting = d.Step.ActorsFor(a)
	}
	for i, e := range a.History {
		d.Timeline = append(d.Timeline, timelineEntry{StepEntry: e, Current: i == len(a.History)-1 && e.Done == nil, Deadline: e.Status(now, u.eng.Calendar)})
	}
	// The steps ahead on the forward path, so the user sees what remains.
	if d.Step != nil {
		seen := map[naskah.StepID]bool{}
		for id := d.Step.Next; id != "" && id != naskah.StepDone && !seen[id]; {
			seen[id] = true
			s := naskah.LookupStep(id)
			if s == nil {
				break
			}
			d.Upcoming = append(d.Upcoming, *s)
			id = s.Next
		}
	}
	idx := map[naskah.DocumentKind]int{}
	for _, doc := range a.Documents {
		i, ok := idx[doc.Kind]
		if !ok {
			i = len(d.Docs)
			idx[doc.Kind] = i
			d.Docs = append(d.Docs, docGroup{Kind: doc.Kind})
		}
		d.Docs[i].Versions = append(d.Docs[i].Versions, doc)
	}
	for i := range d.Docs {
		slices.Reverse(d.Docs[i].Versions) // newest first
	}
	if err := naskah.VerifyAudit(a.Audit); err != nil {
		d.AuditErr = err.Error()
	}
	if a.Latest(naskah.DocSigned) != nil {
		d.VerifyURL = u.verifyURL(a.ID)
	}
	v.Data = d
	return u.render(c, status, "detail", v)
}

// verifyURL is the public verification page of an agreement, the same URL
// the engine puts in the QR code when it is configured with our BaseURL.
func (u *UI) verifyURL(id string) string {
	if cfg := strings.TrimRight(u.eng.Config.VerifyURL, "/"); cfg != "" {
		return cfg + "/" + id
	}
	return u.baseURL + "/verify/" + id
}

func revision(c *fiber.Ctx) int {
	n, _ := strconv.Atoi(form(c, "revision"))
	return n
}

// failDetail shows the agreement again with the error next to the control
// that caused it; the upload script gets JSON instead.
func (u *UI) failDetail(c *fiber.Ctx, actor naskah.Actor, id, field string, err error) error {
	msg := u.userMessage(c, err)
	if isXHR(c) {
		return c.Status(statusOf(err)).JSON(fiber.Map{"error": msg, "field": field})
	}
	a, gerr := u.eng.Get(c.UserContext(), actor, id)
	if gerr != nil {
		return u.errorPage(c, statusOf(err), msg)
	}
	v := u.newView(c, a.Title, "list")
	v.Errors[field] = msg
	v.Form["note"] = form(c, "note")
	v.Form["kind"] = form(c, "kind")
	return u.renderDetail(c, v, actor, a, statusOf(err))
}

func (u *UI) upload(c *fiber.Ctx, actor naskah.Actor) error {
	id := param(c, "id")
	kind := naskah.DocumentKind(form(c, "kind"))
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return u.failDetail(c, actor, id, "file", naskah.Errorf(naskah.EINVALID, "%s", u.tr(c, "up.nofile")))
	}
	f, err := fh.Open()
	if err != nil {
		return u.failDetail(c, actor, id, "file", naskah.WrapError(naskah.EINVALID, err, "%s", u.tr(c, "up.nofile")))
	}
	defer f.Close()
	req := pipeline.Request{Actor: actor, ID: id, RequestID: form(c, "request_id"), Revision: revision(c), Note: form(c, "note")}
	if kind == naskah.DocSigned { // the partner's text countersigned outside Naskah
		if _, err = u.eng.Countersign(c.UserContext(), req, utils.CopyString(fh.Filename), f); err != nil {
			return u.failCountersign(c, actor, id, err)
		}
	} else {
		_, err = u.eng.Upload(c.UserContext(), req, pipeline.Upload{Kind: kind, FileName: utils.CopyString(fh.Filename), Body: f})
	}
	if err != nil {
		field := "file"
		if naskah.ErrorCode(err) == naskah.EINVALID && !kind.Valid() {
			field = "kind"
		}
		return u.failDetail(c, actor, id, field, err)
	}
	loc := "/agreements/" + id + "?done=upload#documents"
	if isXHR(c) {
		if _, ok := LocalTarget(loc); !ok {
			loc = "/"
		}
		return c.JSON(fiber.Map{"location": loc})
	}
	return u.redirect(c, loc)
}

func (u *UI) act(c *fiber.Ctx, actor naskah.Actor) error {
	id := param(c, "id")
	kind := naskah.ActionKind(form(c, "action"))
	note := form(c, "note")
	field := "note-" + string(kind)
	if (kind == naskah.ActionReject || kind == naskah.ActionReturn) && note == "" {
		return u.failDetail(c, actor, id, field, naskah.Errorf(naskah.EINVALID, "%s", u.tr(c, "act.needsnote")))
	}
	_, err := u.eng.Act(c.UserContext(), pipeline.Request{Actor: actor, ID: id, RequestID: form(c, "request_id"), Revision: revision(c), Note: note}, kind)
	if err != nil {
		return u.failDetail(c, actor, id, field, err)
	}
	return u.redirect(c, "/agreements/"+id+"?done=act")
}

func (u *UI) download(c *fiber.Ctx, actor naskah.Actor) error {
	ver, err := strconv.Atoi(c.Params("version"))
	if err != nil || ver < 0 {
		return u.errorPage(c, http.StatusNotFound, naskah.ErrorMessage(naskah.Errorf(naskah.ENOTFOUND, "no such version")))
	}
	kind := naskah.DocumentKind(param(c, "kind"))
	var (
		data []byte
		d    *naskah.DocumentVersion
	)
	if c.Query("copy") == "1" {
		data, d, err = u.eng.DownloadCopy(c.UserContext(), actor, param(c, "id"), kind, ver)
	} else {
		data, d, err = u.eng.Download(c.UserContext(), actor, param(c, "id"), kind, ver, c.Query("original") == "1")
	}
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	name := d.FileName
	if name == "" {
		name = string(d.Kind) + ".pdf"
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '_'
		}
		return r
	}, name)
	c.Set("Content-Disposition", `inline; filename="v`+strconv.Itoa(d.Version)+"-"+name+`"`)
	c.Set("Cache-Control", "private, no-store")
	c.Type("pdf")
	return c.Send(data)
}
