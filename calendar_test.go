package naskah_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, naskah.Jakarta)
	if err != nil {
		panic(err)
	}
	return t.Add(9 * time.Hour) // 09:00 WIB, office hours
}

func TestCalendarAddWorkingDays(t *testing.T) {
	cal := naskah.DefaultCalendar()
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"plain week", "2026-11-23", 3, "2026-11-26"},
		{"over a weekend", "2026-11-26", 2, "2026-11-30"},
		{"friday plus one", "2026-11-27", 1, "2026-11-30"},
		{"christmas and cuti bersama", "2026-12-23", 1, "2026-12-28"},
		{"idul fitri 2026 block", "2026-03-17", 1, "2026-03-25"},
		{"idul fitri 2025 block", "2025-03-27", 1, "2025-04-08"},
		{"ascension 2026", "2026-05-13", 1, "2026-05-18"},
		{"idul adha 2026 and waisak", "2026-05-26", 2, "2026-06-02"},
		{"18 aug 2025 added by amendment", "2025-08-15", 1, "2025-08-19"},
		{"ten days across new year 2026", "2025-12-22", 10, "2026-01-08"},
		{"from a saturday", "2026-11-28", 1, "2026-11-30"},
		{"zero", "2026-11-26", 0, "2026-11-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warn := cal.AddWorkingDays(day(tt.from), tt.n)
			if g := got.Format("2006-01-02"); g != tt.want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, g, tt.want)
			}
			if warn != "" {
				t.Errorf("unexpected warning %q", warn)
			}
			if got.Hour() != 23 || got.Location() != naskah.Jakarta {
				t.Errorf("due %v: want the end of the day in WIB", got)
			}
		})
	}
}

func TestCalendarWorkingDaysBetween(t *testing.T) {
	cal := naskah.DefaultCalendar()
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-11-23", "2026-11-27", 4},
		{"2026-11-27", "2026-11-23", -4},
		{"2026-12-21", "2027-01-04", 7}, // 24, 25 Dec and 1 Jan off
		{"2026-03-16", "2026-03-27", 4}, // 18-24 Mar off: 17, 25, 26, 27
		{"2026-11-26", "2026-11-26", 0},
	}
	for _, tt := range tests {
		if got := cal.WorkingDaysBetween(day(tt.a), day(tt.b)); got != tt.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCalendarUnknownYearWarns(t *testing.T) {
	cal := naskah.DefaultCalendar()
	_, warn := cal.AddWorkingDays(day("2026-12-28"), 10)
	if !strings.Contains(warn, "2027") {
		t.Fatalf("warning = %q, want one naming 2027", warn)
	}
	if cal.Known(2027) || !cal.Known(2026) || !cal.Known(2025) {
		t.Fatalf("Known: 2025/2026 must be complete and 2027 provisional")
	}
	// An operator's file for 2027 replaces the provisional year.
	if err := cal.Merge([]byte(`{"years":{"2027":{"source":"test","complete":true,"days":[{"date":"2027-01-01","name":"Tahun Baru","type":"holiday"}]}}}`)); err != nil {
		t.Fatal(err)
	}
	if _, warn := cal.AddWorkingDays(day("2026-12-28"), 10); warn != "" {
		t.Fatalf("after loading 2027, warning = %q, want none", warn)
	}
	if err := cal.AddDay("2027-01-04", "cuti lokal"); err != nil {
		t.Fatal(err)
	}
	if cal.IsWorkingDay(day("2027-01-04")) {
		t.Fatalf("an extra day must not be a working day")
	}
}

func TestCalendarBadData(t *testing.T) {
	for _, data := range []string{`{`, `{"years":{"20x6":{}}}`, `{"years":{"2026":{"days":[{"date":"2025-01-01"}]}}}`} {
		if _, err := naskah.ParseCalendar([]byte(data)); naskah.ErrorCode(err) != naskah.EINVALID {
			t.Errorf("ParseCalendar(%s) error = %v, want invalid", data, err)
		}
	}
}

func TestHolidayDataMatchesSOPCalendar(t *testing.T) {
	cal := naskah.DefaultCalendar()
	// 2026: 16 national holidays listed (21/22 Mar and 5 Apr, 31 May fall
	// on weekends but are still listed) plus 7 cuti bersama days.
	if got := len(cal.Holidays(2026)); got != 25 {
		t.Errorf("2026 has %d days, want 25", got)
	}
	if got := len(cal.Holidays(2025)); got != 28 {
		t.Errorf("2025 has %d days, want 28", got)
	}
}
