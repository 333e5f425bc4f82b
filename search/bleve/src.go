package bleve

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/bpom/naskah/search"
)

// decodeSrc decodes the stored JSON of a document (toBleve's fieldSrc:
// json.Marshal of a search.Doc) into d. It reads the flat object our
// encoder writes directly, without reflection, and hands anything else (an
// escaped string, an unknown key, a nested value) to encoding/json, so it
// accepts exactly what json.Unmarshal accepts.
func decodeSrc(s string, d *search.Doc) error {
	if decodeFlat(s, d) {
		return nil
	}
	*d = search.Doc{}
	return json.Unmarshal([]byte(s), d)
}

func decodeFlat(s string, d *search.Doc) bool {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return false
	}
	s = s[1 : len(s)-1]
	for len(s) > 0 {
		key, rest, ok := flatString(s)
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return false
		}
		rest = rest[1:]
		var val string
		isString := len(rest) > 0 && rest[0] == '"'
		if isString {
			if val, rest, ok = flatString(rest); !ok {
				return false
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		if !setField(d, key, val, isString) {
			return false
		}
		if len(rest) > 0 {
			if rest[0] != ',' {
				return false
			}
			rest = rest[1:]
		}
		s = rest
	}
	return true
}

// flatString reads a JSON string without escapes at the start of s.
func flatString(s string) (val, rest string, ok bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", s, false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", s, false
	}
	val = s[1 : 1+end]
	if strings.IndexByte(val, '\\') >= 0 {
		return "", s, false
	}
	return val, s[2+end:], true
}

func setField(d *search.Doc, key, val string, isString bool) bool {
	str := func(p *string) bool {
		*p = val
		return isString
	}
	tm := func(p *time.Time) bool {
		if !isString {
			return false
		}
		t, err := time.Parse(time.RFC3339Nano, val)
		*p = t
		return err == nil
	}
	num := func(p *int) bool {
		if isString {
			return false
		}
		n, err := strconv.Atoi(val)
		*p = n
		return err == nil
	}
	switch key {
	case "id":
		return str(&d.ID)
	case "type":
		return str(&d.Type)
	case "agreement_id":
		return str(&d.AgreementID)
	case "number":
		return str(&d.Number)
	case "title":
		return str(&d.Title)
	case "kind":
		return str(&d.Kind)
	case "scope":
		return str(&d.Scope)
	case "partner_name":
		return str(&d.PartnerName)
	case "partner_kind":
		return str(&d.PartnerKind)
	case "partner_country":
		return str(&d.PartnerCountry)
	case "unit":
		return str(&d.Unit)
	case "step":
		return str(&d.Step)
	case "status":
		return str(&d.Status)
	case "document_kind":
		return str(&d.DocumentKind)
	case "text":
		return str(&d.Text)
	case "version":
		return num(&d.Version)
	case "year_signed":
		return num(&d.YearSigned)
	case "signed_at":
		return tm(&d.SignedAt)
	case "expires_at":
		return tm(&d.ExpiresAt)
	case "updated_at":
		return tm(&d.UpdatedAt)
	}
	return false
}
