package naskah_test

import (
	"strings"
	"testing"

	"github.com/bpom/naskah"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		multiline bool
		ok        bool
	}{
		{"plain", "Nota Kesepahaman Pengawasan Jamu", 300, false, true},
		{"Indonesian and accents", "Kerja sama dengan Universitas Gadjah Mada — São Paulo", 300, false, true},
		{"at the limit in characters", strings.Repeat("é", 300), 300, false, true},
		{"too long", strings.Repeat("a", 301), 300, false, false},
		{"NUL", "judul\x00", 300, false, false},
		{"ESC", "judul \x1b[31m merah", 300, false, false},
		{"newline in a title", "baris satu\nbaris dua", 300, false, false},
		{"newline in a note", "baris satu\nbaris dua\ttab", 4000, true, true},
		{"C1", "judul\u0085", 300, false, false},
		{"bidi override", "invoice\u202efdp.exe", 300, false, false},
		{"invalid UTF-8", "judul\xff", 300, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := naskah.CheckText("title", tt.in, tt.max, tt.multiline)
			if (err == nil) != tt.ok {
				t.Errorf("CheckText(%q): %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && naskah.ErrorCode(err) != naskah.EINVALID {
				t.Errorf("code %q, want %q", naskah.ErrorCode(err), naskah.EINVALID)
			}
		})
	}
}
