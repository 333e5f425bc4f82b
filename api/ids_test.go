package api_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
)

// TestClientChosenIDs: only BKH and ADMIN choose ids, never in the
// engine's namespaces; a UNIT learns nothing of other units' ids; nothing
// refused is stored.
func TestClientChosenIDs(t *testing.T) {
	v := MustStart(t)
	other := v.initiateA("PKS milik unit lain").ID // the UNIT's agreement
	body := func(id string) map[string]any {
		return map[string]any{"id": id, "title": "Percobaan id", "kind": "mou", "process": "A",
			"partner": map[string]string{"name": api.DemoMitraUnit, "kind": "business", "country": "ID"}}
	}
	// UPT with another unit's existing id and with a fresh id: one answer.
	taken := v.doJSON("upt", "POST", "/agreements", body(other), nil)
	fresh := v.doJSON("upt", "POST", "/agreements", body("belum-ada-1"), nil)
	if taken.status != 403 || fresh.status != 403 {
		t.Fatalf("UPT choosing ids: %d / %d, want 403 / 403", taken.status, fresh.status)
	}
	if !bytes.Equal(taken.body, fresh.body) {
		t.Errorf("the answers differ, an existence oracle:\n%s\n%s", taken.body, fresh.body)
	}
	// Reserved namespaces and generated shapes, even for BKH.
	for _, id := range []string{"monev-2028-Q1-" + other, "MONEV-x", "imp-0123", "20261201-abcdef0123", "r0123456789abcdef", "../etc", "a/b", "x%2Fy", string(make([]byte, 80))} {
		r := v.doJSON("bkh", "POST", "/agreements", body(id), nil)
		if r.status != 400 {
			t.Errorf("BKH with id %q: %d %s, want 400", id, r.status, r.body)
		}
	}
	if r := v.doJSON("unit", "POST", "/agreements", body("monev-2028-Q1-"+other), nil); r.status != 403 {
		t.Errorf("UNIT squatting a monev id: %d, want 403", r.status)
	}
	if r := v.doJSON("bkh", "GET", "/agreements/monev-2028-Q1-"+other, nil, nil); r.status != 404 {
		t.Errorf("a refused id was stored: %d", r.status)
	}
	var list struct{ Total int }
	v.MustJSON("bkh", "GET", "/agreements", nil, 200, &list)
	if list.Total != 1 {
		t.Errorf("%d agreements after the refusals, want 1", list.Total)
	}
	// BKH may still choose a plain id.
	plain := body("kerjasama-ugm-2026")
	plain["unit"] = "Direktorat Pengawasan Obat"
	if r := v.doJSON("bkh", "POST", "/agreements", plain, nil); r.status != 201 {
		t.Errorf("BKH with a plain id: %d %s, want 201", r.status, r.body)
	}
}

// TestMonevTargets: a round names only signed agreements the caller may
// see; another unit's id answers like a missing one.
func TestMonevTargets(t *testing.T) {
	v := MustStart(t)
	unsigned := v.initiateA("PKS belum ditandatangani").ID
	missing := v.doJSON("bkh", "POST", "/monev/rounds", map[string]any{"period": "2028-Q1", "agreement_ids": []string{"tidak-ada"}}, nil)
	if missing.status != 404 {
		t.Errorf("monev for a missing id: %d, want 404", missing.status)
	}
	if r := v.doJSON("bkh", "POST", "/monev/rounds", map[string]any{"period": "2028-Q1", "agreement_ids": []string{unsigned}}, nil); r.status != 400 {
		t.Errorf("monev for an unsigned agreement: %d %s, want 400", r.status, r.body)
	}
	r := v.doJSON("upt", "POST", "/monev/rounds", map[string]any{"period": "2028-Q1", "agreement_ids": []string{unsigned}}, nil)
	if r.status != 404 {
		t.Errorf("UPT opening a round for another unit's agreement: %d %s, want 404", r.status, r.body)
	}
	_, d1 := r.problem()
	_, d2 := v.doJSON("upt", "POST", "/monev/rounds", map[string]any{"period": "2028-Q1", "agreement_ids": []string{"tidak-ada"}}, nil).problem()
	if d1 != fmt.Sprintf("Perjanjian %q tidak ada: periksa id-nya — Agreement %q does not exist: check the id", unsigned, unsigned) ||
		d2 != `Perjanjian "tidak-ada" tidak ada: periksa id-nya — Agreement "tidak-ada" does not exist: check the id` {
		t.Errorf("details: %q / %q", d1, d2)
	}
	var list struct{ Total int }
	v.MustJSON("bkh", "GET", "/agreements?process=C", nil, 200, &list)
	if list.Total != 0 {
		t.Errorf("%d rounds opened by refused requests, want 0", list.Total)
	}
}

// TestParallelSubmits: of 20 submits at once without a revision one wins
// and the others are conflicts, not "you are UNIT".
func TestParallelSubmits(t *testing.T) {
	v := MustStart(t)
	id := v.initiateA("PKS dua puluh kiriman").ID
	v.upload("unit", id, naskah.DocNotaDinas, smallPDF("nd"))
	v.upload("unit", id, naskah.DocInitialDraft, smallPDF("draft"))
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", map[string]any{}, nil).status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("a submit answered %d, want 200 or 409 (%v)", s, statuses)
		}
	}
	if ok != 1 {
		t.Errorf("%d submits won, want 1 (%v)", ok, statuses)
	}
	// A submit that arrives after the step moved on (the late end of the
	// race, made certain) is a conflict too.
	if r := v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", map[string]any{}, nil); r.status != 409 {
		t.Errorf("a late submit: %d %s, want 409", r.status, r.body)
	}
	// A role that never could submit is still refused as such.
	if r := v.doJSON("bho", "POST", "/agreements/"+id+"/actions/submit", map[string]any{}, nil); r.status != 403 {
		t.Errorf("BHO submitting: %d, want 403", r.status)
	}
}
