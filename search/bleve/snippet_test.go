package bleve

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bpom/naskah/search/bleve/internal/synth"
)

// fragmentsRef is the straightforward fragment builder (spans of every
// word kept), against which the one-pass version is checked.
func (m *matcher) fragmentsRef(text string) []string {
	if text == "" || len(m.terms) == 0 {
		return nil
	}
	var (
		frags []string
		toks  []span
		hits  []int
		open  = -1
	)
	flush := func() {
		lo := max(0, hits[0]-fragmentWords)
		hi := min(len(toks)-1, open+fragmentWords)
		s := render(text, toks, hits, toks[lo].start, toks[hi].end)
		if toks[lo].start > 0 {
			s = "…" + s
		}
		if toks[hi].end < len(text) {
			s += "…"
		}
		frags = append(frags, s)
		toks, hits, open = toks[hi+1:], nil, -1
	}
	words(text, nil, func(start, end int, lower []byte) bool {
		toks = append(toks, span{start, end})
		n := len(toks) - 1
		if m.terms[string(lower)] {
			hits = append(hits, n)
			open = n
		} else if open >= 0 && n-open >= fragmentWords {
			flush()
		}
		return len(frags) < maxFragments
	})
	if open >= 0 && len(frags) < maxFragments {
		flush()
	}
	return frags
}

func TestFragmentsMatchReference(t *testing.T) {
	c := synth.New(40, 300, 7)
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{"", "Satu", "satu dua tiga", "Ünïcödé wörds and ASCII, «quoted» — ÉTÉ été 07.01 x"}
	for _, d := range c.Docs {
		// mixed case and punctuation, as real text has
		w := strings.Fields(d.Text)
		for k := range w {
			switch rng.IntN(9) {
			case 0:
				w[k] = strings.ToUpper(w[k][:1]) + w[k][1:]
			case 1:
				w[k] += ","
			case 2:
				w[k] = "é" + w[k]
			}
		}
		texts = append(texts, strings.Join(w, " "))
	}
	for _, text := range texts {
		ws := strings.Fields(strings.ToLower(text))
		for trial := range 20 {
			m := &matcher{terms: map[string]bool{}}
			for range 1 + trial%4 {
				if len(ws) > 0 {
					m.terms[strings.Trim(ws[rng.IntN(len(ws))], ",")] = true
				}
			}
			m.terms[c.Vocab[rng.IntN(200)]] = true
			got, want := m.fragments(text), m.fragmentsRef(text)
			if !slices.Equal(got, want) {
				t.Fatalf("terms %v\ngot  %q\nwant %q", m.terms, got, want)
			}
		}
	}
}

// On simple ASCII strings, marking by words gives what the analyzer gives.
func TestMarkAllSimpleASCII(t *testing.T) {
	i, err := OpenMem()
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	a := i.analyzer()
	for _, s := range []string{
		"Nota Kesepahaman tentang Pengawasan Obat dan Makanan",
		"Perjanjian Kerja Sama (PKS) antara BPOM-RI dan Universitas Airlangga / Fakultas Farmasi",
		"COVID-19 vaccine 3a reliance & <inspection> \"GMP\" 2024",
		"HK.07.01 Joint Statement, e.g. don't mark: this_one",
	} {
		ws := strings.Fields(strings.ToLower(strings.NewReplacer("(", " ", ")", " ", "-", " ", "/", " ", "\"", " ", "<", " ", ">", " ").Replace(s)))
		for k := range ws {
			terms := map[string]bool{ws[k]: true, ws[(k*7)%len(ws)]: true}
			fast := &matcher{a: a, terms: terms}
			slow := &matcher{a: a, terms: terms}
			got, ok1 := fast.markAll(s)
			toks, hits := slow.matches(s, 0, a.Analyze([]byte(s)))
			want, ok2 := "", len(hits) > 0
			if ok2 {
				want = render(s, toks, hits, 0, len(s))
			}
			if got != want || ok1 != ok2 {
				t.Errorf("%q terms %v:\ngot  %q %v\nwant %q %v", s, terms, got, ok1, want, ok2)
			}
		}
	}
}
