package pipeline

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/bpom/naskah"
)

// Deadline is one open step with its due date and status.
type Deadline struct {
	AgreementID string                `json:"agreement_id"`
	Title       string                `json:"title"`
	Step        naskah.StepID         `json:"step"`
	Activity    string                `json:"activity"`
	Actors      []naskah.Role         `json:"actors"`
	Entered     time.Time             `json:"entered"`
	Due         time.Time             `json:"due"`
	Status      naskah.DeadlineStatus `json:"status"`
	Warning     string                `json:"warning,omitempty"`
}

// Expiring is an agreement whose validity ends soon.
type Expiring struct {
	AgreementID string    `json:"agreement_id"`
	Title       string    `json:"title"`
	Partner     string    `json:"partner"`
	ValidUntil  time.Time `json:"valid_until"`
}

// Deadlines lists the actor's visible open steps that are overdue or due
// within 2 HK, and agreements expiring within the configured window.
type Deadlines struct {
	Overdue  []Deadline `json:"overdue"`
	DueSoon  []Deadline `json:"due_soon"`
	OnTime   []Deadline `json:"on_time"`
	Expiring []Expiring `json:"expiring"`
}

// Deadlines computes the deadline lists at the engine's now.
func (e *Engine) Deadlines(ctx context.Context, actor naskah.Actor) (*Deadlines, error) {
	all, err := e.List(ctx, actor)
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := &Deadlines{Overdue: []Deadline{}, DueSoon: []Deadline{}, OnTime: []Deadline{}, Expiring: []Expiring{}}
	for _, a := range all {
		if a.Status == naskah.StatusCompleted && a.Process != naskah.ProcessMonitoring && a.ExpiresWithin(now, e.Config.ExpiryWindow) {
			out.Expiring = append(out.Expiring, Expiring{a.ID, a.Title, a.Partner.Name, *a.ValidUntil})
		}
		cur := a.Current()
		if a.Status != naskah.StatusActive || cur == nil || cur.Due == nil {
			continue
		}
		st := a.CurrentStep()
		d := Deadline{AgreementID: a.ID, Title: a.Title, Step: a.Step, Activity: st.Activity, Actors: st.ActorsFor(a),
			Entered: cur.Entered, Due: *cur.Due, Status: cur.Status(now, e.Calendar), Warning: cur.DueWarning}
		switch d.Status {
		case naskah.DeadlineOverdue:
			out.Overdue = append(out.Overdue, d)
		case naskah.DeadlineDueSoon:
			out.DueSoon = append(out.DueSoon, d)
		default:
			out.OnTime = append(out.OnTime, d)
		}
	}
	for _, l := range [][]Deadline{out.Overdue, out.DueSoon, out.OnTime} {
		sort.Slice(l, func(i, j int) bool { return l[i].Due.Before(l[j].Due) })
	}
	sort.Slice(out.Expiring, func(i, j int) bool { return out.Expiring[i].ValidUntil.Before(out.Expiring[j].ValidUntil) })
	return out, nil
}

// OpenMonevRound opens a monev round (process C, step C1) for each of the
// given agreements, or for every signed, still valid agreement when ids is
// empty. Period is e.g. "2026-Q4"; a round already open for an agreement
// and period is not opened twice.
func (e *Engine) OpenMonevRound(ctx context.Context, actor naskah.Actor, period string, ids []string) ([]*naskah.Agreement, error) {
	if period == "" {
		now := e.now()
		period = fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())-1)/3+1)
	}
	if err := naskah.CheckText("period", period, naskah.MaxShort, false); err != nil {
		return nil, err
	}
	all, err := e.List(ctx, actor)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	if err := checkMonevTargets(all, ids); err != nil {
		return nil, err
	}
	open := map[string]bool{}
	for _, a := range all {
		if a.Process == naskah.ProcessMonitoring && a.Period == period {
			open[a.Monitors] = true
		}
	}
	now := e.now()
	var out []*naskah.Agreement
	for _, a := range all {
		if a.Process == naskah.ProcessMonitoring || open[a.ID] {
			continue
		}
		if len(want) > 0 && !want[a.ID] {
			continue
		}
		if len(want) == 0 && (a.Status != naskah.StatusCompleted || (a.ValidUntil != nil && a.ValidUntil.Before(now))) {
			continue
		}
		round := naskah.Agreement{ID: monevID(a.ID, period), Title: "Monev " + period + ": " + a.Title, Process: naskah.ProcessMonitoring,
			Kind: a.Kind, Partner: a.Partner, Monitors: a.ID, Period: period, Unit: a.Unit, InitiatorRole: a.InitiatorRole}
		r, err := e.initiate(ctx, actor, round, "")
		if err != nil {
			if naskah.ErrorCode(err) == naskah.ECONFLICT {
				continue // opened concurrently
			}
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// checkMonevTargets refuses named agreements a round cannot monitor: one
// the actor cannot see answers as one that does not exist (no oracle of
// other units' ids), one not yet signed or itself a round is EINVALID.
func checkMonevTargets(visible []*naskah.Agreement, ids []string) error {
	byID := make(map[string]*naskah.Agreement, len(visible))
	for _, a := range visible {
		byID[a.ID] = a
	}
	for _, id := range ids {
		a, ok := byID[id]
		switch {
		case !ok:
			return naskah.Errorf(naskah.ENOTFOUND, "Perjanjian %q tidak ada: periksa id-nya — Agreement %q does not exist: check the id", id, id)
		case a.Process == naskah.ProcessMonitoring:
			return naskah.Errorf(naskah.EINVALID, "%q adalah putaran monev, bukan perjanjian — %q is a monev round, not an agreement", id, id)
		case a.Status != naskah.StatusCompleted:
			return naskah.Errorf(naskah.EINVALID, "Perjanjian %q belum ditandatangani: monev hanya untuk perjanjian yang telah ditandatangani — Agreement %q is not signed yet: monev is for signed agreements only", id, id)
		}
	}
	return nil
}

func monevID(id, period string) string {
	b := []byte("monev-" + period + "-" + id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}
