package pdf

import (
	"strconv"
)

// pval is a PDF value as the guard's parser sees it: strings keep at most
// maxKeptString bytes, arrays at most maxStoredElems elements.
type pval struct {
	k pkind
	n int64  // integer, boolean (1 true), reference number
	s string // name, keyword or (short) string
	a []pval
	d []pkv
}

type pkv struct {
	key string
	v   pval
}

type pkind uint8

const (
	pNull pkind = iota
	pBool
	pInt
	pReal
	pName
	pString
	pArray
	pDict
	pRef
	pKeyword
)

const maxKeptString = 256

func (v pval) get(key string) (pval, bool) {
	for _, kv := range v.d {
		if kv.key == key {
			return kv.v, true
		}
	}
	return pval{}, false
}

// lexer reads PDF values from b. Depth is bounded; running out of input
// or an unexpected token is errSyntax.
type lexer struct {
	b   []byte
	pos int
	g   *guard
}

func isWS(c byte) bool {
	return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWS(c) && !isDelim(c) }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

func (l *lexer) skipWS() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case isWS(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// keyword consumes kw when it is the next token.
func (l *lexer) keyword(kw string) bool {
	e := l.pos + len(kw)
	if e > len(l.b) || string(l.b[l.pos:e]) != kw || (e < len(l.b) && isRegular(l.b[e])) {
		return false
	}
	l.pos = e
	return true
}

// object reads "num gen obj value".
func (l *lexer) object() (pval, error) {
	if _, err := l.value(0); err != nil {
		return pval{}, err
	}
	if _, err := l.value(0); err != nil {
		return pval{}, err
	}
	l.skipWS()
	if !l.keyword("obj") {
		return pval{}, errSyntax
	}
	return l.value(0)
}

func (l *lexer) value(depth int) (pval, error) {
	if depth > maxNesting {
		return pval{}, errHostile("nesting deeper than %d levels", maxNesting)
	}
	l.skipWS()
	if l.pos >= len(l.b) {
		return pval{}, errSyntax
	}
	switch c := l.b[l.pos]; {
	case c == '/':
		l.pos++
		return pval{k: pName, s: l.name()}, nil
	case c == '(':
		return l.literal()
	case c == '<' && l.pos+1 < len(l.b) && l.b[l.pos+1] == '<':
		l.pos += 2
		return l.dict(depth)
	case c == '<':
		// A hex string, kept decoded like a literal one: a URI or a file
		// name may be written either way.
		l.pos++
		var kept []byte
		var hi, odd = byte(0), false
		for l.pos < len(l.b) && l.b[l.pos] != '>' {
			x := l.b[l.pos]
			l.pos++
			var v byte
			switch {
			case isDigit(x):
				v = x - '0'
			case x >= 'a' && x <= 'f':
				v = x - 'a' + 10
			case x >= 'A' && x <= 'F':
				v = x - 'A' + 10
			default:
				continue
			}
			if odd && len(kept) < maxKeptString {
				kept = append(kept, hi<<4|v)
			}
			hi, odd = v, !odd
		}
		l.pos++
		return pval{k: pString, s: string(kept)}, nil
	case c == '[':
		l.pos++
		v := pval{k: pArray}
		for {
			l.skipWS()
			if l.pos >= len(l.b) {
				return pval{}, errSyntax
			}
			if l.b[l.pos] == ']' {
				l.pos++
				return v, nil
			}
			x, err := l.value(depth + 1)
			if err != nil {
				return pval{}, err
			}
			if x.k == pKeyword && x.s != "true" && x.s != "false" && x.s != "null" {
				return pval{}, errSyntax
			}
			if len(v.a) < maxStoredElems {
				v.a = append(v.a, x)
			}
		}
	case isDigit(c) || c == '+' || c == '-' || c == '.':
		return l.number()
	case isRegular(c):
		s := l.pos
		for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
			l.pos++
		}
		w := string(l.b[s:l.pos])
		switch w {
		case "true":
			return pval{k: pBool, n: 1}, nil
		case "false":
			return pval{k: pBool}, nil
		case "null":
			return pval{}, nil
		}
		return pval{k: pKeyword, s: w}, nil
	default:
		return pval{}, errSyntax
	}
}

// name reads a name after its "/", decoding #xx escapes: "/Java#53cript"
// is /JavaScript to every reader, so it is to the guard.
func (l *lexer) name() string {
	s := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	raw := l.b[s:l.pos]
	if !containsByte(raw, '#') {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw)+0 && i+2 <= len(raw)-1 {
			if v, err := strconv.ParseUint(string(raw[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return string(out)
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// literal reads a (string), keeping its first maxKeptString bytes with
// the common escapes decoded.
func (l *lexer) literal() (pval, error) {
	l.pos++
	depth := 1
	var kept []byte
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '\\':
			if l.pos < len(l.b) {
				c = l.b[l.pos]
				l.pos++
				switch c {
				case 'n':
					c = '\n'
				case 'r':
					c = '\r'
				case 't':
					c = '\t'
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return pval{k: pString, s: string(kept)}, nil
			}
		}
		if len(kept) < maxKeptString {
			kept = append(kept, c)
		}
	}
	return pval{}, errSyntax
}

// number reads an integer or real, and "num gen R" as a reference.
func (l *lexer) number() (pval, error) {
	s := l.pos
	l.pos++
	for l.pos < len(l.b) && (isDigit(l.b[l.pos]) || l.b[l.pos] == '.') {
		l.pos++
	}
	tok := string(l.b[s:l.pos])
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		return pval{k: pReal}, nil
	}
	// A reference: "12 0 R".
	save := l.pos
	l.skipWS()
	gs := l.pos
	for l.pos < len(l.b) && isDigit(l.b[l.pos]) {
		l.pos++
	}
	if l.pos > gs && l.pos-gs < 6 {
		l.skipWS()
		if l.keyword("R") {
			return pval{k: pRef, n: n}, nil
		}
	}
	l.pos = save
	return pval{k: pInt, n: n}, nil
}

func (l *lexer) dict(depth int) (pval, error) {
	v := pval{k: pDict}
	for {
		l.skipWS()
		if l.pos+1 < len(l.b) && l.b[l.pos] == '>' && l.b[l.pos+1] == '>' {
			l.pos += 2
			if l.g != nil {
				l.g.activeContent(v)
			}
			return v, nil
		}
		if l.pos >= len(l.b) || l.b[l.pos] != '/' {
			return pval{}, errSyntax
		}
		l.pos++
		key := l.name()
		x, err := l.value(depth + 1)
		if err != nil {
			return pval{}, err
		}
		if x.k == pKeyword {
			return pval{}, errSyntax
		}
		if len(v.d) < maxStoredElems {
			v.d = append(v.d, pkv{key, x})
		}
	}
}
