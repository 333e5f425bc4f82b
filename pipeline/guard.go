package pipeline

import (
	"regexp"
	"slices"
	"strings"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

// maxClientID bounds an id a client chooses (generated ids are shorter).
const maxClientID = 64

// reservedIDPrefixes are the engine's own namespaces: monev rounds and
// imported agreements. A client id there could block a BKH round or an
// import that would later take it.
var reservedIDPrefixes = []string{"monev-", "imp-"}

// generatedID matches the ids NewID and request ids produce, so a client
// cannot take the id a retried request or a later initiate will need.
var generatedID = regexp.MustCompile(`^(\d{8}-[0-9a-f]{10}|r[0-9a-f]{16})$`)

// CheckClientID refuses an agreement id chosen by a client: only BKH and
// ADMIN (who see every agreement, so a conflict tells them nothing new)
// may choose one, within the id grammar and outside reserved namespaces.
// Everyone else gets the same answer whether the id exists or not.
func CheckClientID(actor naskah.Actor, id string) error {
	if actor.Role != naskah.RoleBKH && actor.Role != naskah.RoleAdmin {
		return naskah.Errorf(naskah.EFORBIDDEN, "Hanya BKH atau ADMIN yang dapat memilih id perjanjian: kosongkan id agar Naskah membuatnya — Only BKH or ADMIN may choose an agreement id: leave id empty and Naskah makes one")
	}
	if len(id) > maxClientID || !search.ValidID(id) {
		return naskah.Errorf(naskah.EINVALID, "Id perjanjian memakai huruf, angka, '-' atau '_', paling banyak %d karakter — An agreement id uses letters, digits, '-' or '_', at most %d characters", maxClientID, maxClientID)
	}
	lower := strings.ToLower(id)
	for _, p := range reservedIDPrefixes {
		if strings.HasPrefix(lower, p) {
			return naskah.Errorf(naskah.EINVALID, "Id yang diawali %q dicadangkan untuk Naskah: pilih id lain — Ids starting with %q are reserved for Naskah: choose another id", p, p)
		}
	}
	if generatedID.MatchString(lower) {
		return naskah.Errorf(naskah.EINVALID, "Id %q berbentuk id buatan Naskah: pilih id lain — Id %q has the form of an id Naskah generates: choose another id", id, id)
	}
	return nil
}

// movedOn reports whether a refusal of actor's kind is the late end of a
// race rather than a lack of rights: the step the agreement left last was
// finished with this very action, and actor could have taken it there.
// (An upload or a signature never finishes a step by itself, so their
// refusals stay refusals: a late upload is not told someone acted first.) Such a request is a conflict (409): someone acted first.
func movedOn(a *naskah.Agreement, actor naskah.Actor, kind naskah.ActionKind) bool {
	for i := len(a.History) - 1; i >= 0; i-- {
		h := a.History[i]
		if h.Done == nil {
			continue
		}
		if kind == "" || h.Decision != kind {
			return false
		}
		prev := *a
		prev.Step, prev.Status = h.Step, naskah.StatusActive
		return slices.Contains(naskah.Allowed(&prev, actor), kind)
	}
	return false
}

// movedOnError is the conflict answered instead of a refusal by movedOn.
func movedOnError(a *naskah.Agreement, cause error) error {
	return naskah.WrapError(naskah.ECONFLICT, cause, "Perjanjian sudah berpindah ke langkah %s sebelum tindakan Anda tiba (orang lain bertindak lebih dulu): muat ulang — The agreement moved on to step %s before your action arrived (someone else acted first): reload it", a.Step, a.Step)
}

// checkAgreementText bounds the free-text fields a client sets when
// initiating (see naskah.CheckText).
func checkAgreementText(a naskah.Agreement) error {
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"title", a.Title, naskah.MaxTitle},
		{"number", a.Number, naskah.MaxNumber},
		{"partner.name", a.Partner.Name, naskah.MaxName},
		{"partner.country", a.Partner.Country, naskah.MaxShort},
		{"unit", a.Unit, naskah.MaxName},
		{"extends", a.Extends, naskah.MaxShort},
		{"monitors", a.Monitors, naskah.MaxShort},
		{"period", a.Period, naskah.MaxShort},
	} {
		if err := naskah.CheckText(f.name, f.value, f.max, false); err != nil {
			return err
		}
	}
	return nil
}
