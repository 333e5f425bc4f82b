package naskah

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Jakarta is the SOP's time zone (WIB, UTC+7; Indonesia has no daylight
// saving, so a fixed zone avoids depending on the system's tzdata).
var Jakarta = time.FixedZone("WIB", 7*60*60)

//go:embed holidays_id.json
var holidaysJSON []byte

// Holiday is one non-working weekday-or-weekend date.
type Holiday struct {
	Date string `json:"date"` // YYYY-MM-DD
	Name string `json:"name"`
	Type string `json:"type"` // holiday | cuti_bersama | extra
}

// CalendarYear is one year's holiday data and where it comes from.
type CalendarYear struct {
	Source   string    `json:"source"`
	Complete bool      `json:"complete"`
	Days     []Holiday `json:"days"`
}

// CalendarData is the shape of the holiday data file.
type CalendarData struct {
	Note  string                  `json:"note,omitempty"`
	Years map[string]CalendarYear `json:"years"`
}

type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	t = t.In(Jakarta)
	return civilDate{t.Year(), t.Month(), t.Day()}
}

func (c civilDate) time() time.Time { return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, Jakarta) }

// Calendar counts working days (hari kerja): Monday to Friday in Asia/Jakarta
// minus national holidays and cuti bersama. It is safe for concurrent reads
// once built; Add* must not run concurrently with reads.
type Calendar struct {
	holidays map[civilDate]Holiday
	years    map[int]CalendarYear
}

// DefaultCalendar returns the calendar built from the holiday data shipped
// with Naskah (2025, 2026 complete; 2027 provisional).
func DefaultCalendar() *Calendar {
	c, err := ParseCalendar(holidaysJSON)
	if err != nil {
		panic("naskah: embedded holiday data is broken: " + err.Error()) // a build defect, caught by tests
	}
	return c
}

// ParseCalendar builds a calendar from data in the holiday file format.
func ParseCalendar(data []byte) (*Calendar, error) {
	c := &Calendar{holidays: map[civilDate]Holiday{}, years: map[int]CalendarYear{}}
	if err := c.Merge(data); err != nil {
		return nil, err
	}
	return c, nil
}

// Merge adds the years of data to the calendar; a year present in data
// replaces the calendar's year of the same number (an operator's file
// overrides the shipped one).
func (c *Calendar) Merge(data []byte) error {
	var cd CalendarData
	if err := json.Unmarshal(data, &cd); err != nil {
		return Errorf(EINVALID, "holiday data is not valid JSON (%v): fix the calendar file", err)
	}
	for ys, y := range cd.Years {
		year, err := strconv.Atoi(ys)
		if err != nil {
			return Errorf(EINVALID, "holiday data: year %q is not a number", ys)
		}
		for d := range c.holidays {
			if d.y == year {
				delete(c.holidays, d)
			}
		}
		for _, h := range y.Days {
			t, err := time.ParseInLocation("2006-01-02", h.Date, Jakarta)
			if err != nil || t.Year() != year {
				return Errorf(EINVALID, "holiday data: %q under year %d is not a date of that year (use YYYY-MM-DD)", h.Date, year)
			}
			c.holidays[dateOf(t)] = h
		}
		c.years[year] = y
	}
	return nil
}

// AddDay marks one extra non-working day (e.g. a local decree), without
// changing whether its year counts as complete.
func (c *Calendar) AddDay(date, name string) error {
	t, err := time.ParseInLocation("2006-01-02", date, Jakarta)
	if err != nil {
		return Errorf(EINVALID, "extra calendar day %q is not a date: use YYYY-MM-DD", date)
	}
	c.holidays[dateOf(t)] = Holiday{Date: date, Name: name, Type: "extra"}
	return nil
}

// Years lists the years with data, and whether each is complete.
func (c *Calendar) Years() map[int]CalendarYear {
	out := make(map[int]CalendarYear, len(c.years))
	for y, v := range c.years {
		out[y] = v
	}
	return out
}

// Holidays returns the non-working days of a year, sorted.
func (c *Calendar) Holidays(year int) []Holiday {
	var hs []Holiday
	for d, h := range c.holidays {
		if d.y == year {
			hs = append(hs, h)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Date < hs[j].Date })
	return hs
}

// IsWorkingDay reports whether t's date (in Jakarta) is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	d := dateOf(t)
	switch d.time().Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	_, holiday := c.holidays[d]
	return !holiday
}

// Known reports whether the calendar has complete holiday data for year.
func (c *Calendar) Known(year int) bool { return c.years[year].Complete }

// AddWorkingDays returns the date n working days after from's date (the day
// of from itself does not count), at the end of that day in Jakarta: a step
// entered on Monday with 1 HK is due by Tuesday 23:59:59. The warning is
// non-empty when the span crosses a year without complete holiday data.
func (c *Calendar) AddWorkingDays(from time.Time, n int) (due time.Time, warning string) {
	d := dateOf(from).time()
	var unknown []int
	seen := map[int]bool{}
	note := func(t time.Time) {
		if y := t.Year(); !seen[y] {
			seen[y] = true
			if !c.Known(y) {
				unknown = append(unknown, y)
			}
		}
	}
	note(d)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		note(d)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return endOfDay(d), c.yearsWarning(unknown)
}

// WorkingDaysBetween counts the working days after a's date up to and
// including b's date; negative when b is before a.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	da, db := dateOf(a).time(), dateOf(b).time()
	sign := 1
	if db.Before(da) {
		da, db, sign = db, da, -1
	}
	n := 0
	for d := da.AddDate(0, 0, 1); !d.After(db); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return sign * n
}

// Warning returns the warning for a span that crosses years without
// complete holiday data, or "".
func (c *Calendar) Warning(from, to time.Time) string {
	var unknown []int
	for y := from.In(Jakarta).Year(); y <= to.In(Jakarta).Year(); y++ {
		if !c.Known(y) {
			unknown = append(unknown, y)
		}
	}
	return c.yearsWarning(unknown)
}

func (c *Calendar) yearsWarning(years []int) string {
	if len(years) == 0 {
		return ""
	}
	return fmt.Sprintf("holiday data for %v is missing or provisional: this deadline counts only weekends and the days known, so it may be too early; load the year's SKB (calendar.file)", years)
}

func endOfDay(d time.Time) time.Time {
	y, m, day := d.In(Jakarta).Date()
	return time.Date(y, m, day, 23, 59, 59, 0, Jakarta)
}
