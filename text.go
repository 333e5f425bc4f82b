package naskah

import (
	"unicode/utf8"
)

// Field limits, in characters. Titles and names are shown in lists, stamped
// on PDFs and indexed: a 900 KB title or an ESC byte in a partner's name is
// never what a person meant.
const (
	MaxTitle  = 300
	MaxName   = 200 // partner names, units
	MaxNumber = 100 // nomor naskah
	MaxNote   = 4000
	MaxShort  = 64 // periods, countries, ids named in fields
)

// CheckText returns an EINVALID error naming field when s is not valid
// UTF-8, is longer than max characters, or holds a control character: C0
// and C1 controls, DEL, and the Unicode bidirectional overrides that make
// text display differently from what it says. Tabs and line breaks are
// allowed only when multiline.
func CheckText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s bukan teks UTF-8 yang sah — %s is not valid UTF-8 text", field, field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, "%s terlalu panjang (%d karakter, paling banyak %d) — %s is too long (%d characters, at most %d)", field, n, max, field, n, max)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if forbiddenRune(r) {
			return Errorf(EINVALID, "%s memuat karakter kendali (U+%04X): hapus karakter itu — %s contains a control character (U+%04X): remove it", field, r, field, r)
		}
	}
	return nil
}

func forbiddenRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}
