// Package synth generates a synthetic agreement archive and query mix for
// the search benchmark: text drawn from a Zipf distribution over a 20,000
// word vocabulary, titles and partners as in the relevance set.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/bpom/naskah/search"
)

var syllables = strings.Fields("ba be bi bo bu da de di do du ga ge gi go gu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu ja ju wa ya an in un ar er ir ng kan tan man")

// Real words lead the vocabulary, so the most frequent words are ones a
// person would type.
var seed = strings.Fields(`dan yang di ke dari untuk dengan dalam pada ini itu atau oleh sebagai kerja sama pihak
obat makanan pangan pengawasan kosmetik obat tradisional laboratorium pengujian sampel data informasi
the of and to in for on with by regulatory cooperation inspection vaccine food safety medical products
nota kesepahaman perjanjian memorandum understanding letter intent record discussion minutes meeting
agreement arrangement halal sertifikasi pelatihan penelitian pendidikan farmasi universitas pemerintah
provinsi kabupaten masyarakat pelaku usaha organisasi internasional akademisi edukasi keamanan`)

// Corpus is a generated archive.
type Corpus struct {
	Vocab []string
	Docs  []search.Doc
	rng   *rand.Rand
	zipf  *rand.Zipf
}

var (
	kinds     = []string{"mou", "pks", "agreement", "arrangement", "loi", "rod", "mom", "other"}
	pkinds    = []string{"business", "government", "international_organization", "society", "academia"}
	units     = []string{"bkh", "dit-obat", "dit-pangan", "dit-kosmetik", "bbpom-surabaya", "bbpom-medan", "bbpom-yogyakarta", "bbpom-jakarta", "bbpom-makassar", "loka-pom-kupang"}
	countries = []string{"ID", "AU", "CH", "MY", "PH", "JP", "US", "IT", "FR", "KR", "SG", "NL"}
	steps     = []string{"A1", "A2", "A4", "A6", "A10", "B2", "B7", "B11"}
	titleHead = map[string]string{
		"mou": "Nota Kesepahaman tentang", "pks": "Perjanjian Kerja Sama", "agreement": "Agreement on",
		"arrangement": "Arrangement on", "loi": "Letter of Intent on", "rod": "Record of Discussion on",
		"mom": "Minutes of Meeting on", "other": "Joint Statement on",
	}
	partners = []string{"Pemerintah Provinsi", "Universitas", "PT", "Kementerian", "World Health Organization",
		"Ministry of Health", "Institut Teknologi", "Yayasan", "Asosiasi", "Food and Drug Administration"}
)

// New generates n agreements of about words words each, deterministically from seed.
func New(n, words int, seedN uint64) *Corpus {
	rng := rand.New(rand.NewPCG(seedN, 42))
	c := &Corpus{rng: rng}
	seen := map[string]bool{}
	for _, w := range seed {
		if !seen[w] {
			seen[w] = true
			c.Vocab = append(c.Vocab, w)
		}
	}
	for len(c.Vocab) < 20000 {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			c.Vocab = append(c.Vocab, w)
		}
	}
	c.zipf = rand.NewZipf(rng, 1.07, 2, uint64(len(c.Vocab)-1))
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := range n {
		kind := kinds[rng.IntN(len(kinds))]
		scope := "foreign"
		if kind == "mou" || kind == "pks" {
			if rng.IntN(3) > 0 {
				scope = "domestic"
			}
		}
		signed := base.AddDate(0, 0, rng.IntN(15*365))
		d := search.Doc{
			ID: fmt.Sprintf("a%05d", k), Type: search.TypeAgreement, AgreementID: fmt.Sprintf("a%05d", k),
			Number: fmt.Sprintf("HK.07.%02d.%d.%d.%03d", rng.IntN(5), rng.IntN(3), signed.Year(), k%1000),
			Title:  titleHead[kind] + " " + c.words(3+rng.IntN(5), 60, 3000),
			Kind:   kind, Scope: scope,
			PartnerName:    partners[rng.IntN(len(partners))] + " " + c.words(1+rng.IntN(2), 200, 5000),
			PartnerKind:    pkinds[rng.IntN(len(pkinds))],
			PartnerCountry: countries[rng.IntN(len(countries))],
			Unit:           units[rng.IntN(len(units))],
			Step:           steps[rng.IntN(len(steps))],
			Status:         []string{"signed", "signed", "signed", "draft", "expired"}[rng.IntN(5)],
			Text:           c.words(words/2+rng.IntN(words), 0, len(c.Vocab)),
			YearSigned:     signed.Year(), SignedAt: signed, ExpiresAt: signed.AddDate(2+rng.IntN(4), 0, 0),
			UpdatedAt: signed.Add(time.Duration(rng.IntN(1000)) * time.Hour),
		}
		c.Docs = append(c.Docs, d)
	}
	return c
}

// words draws n words by Zipf rank, keeping ranks in [lo, hi).
func (c *Corpus) words(n, lo, hi int) string {
	out := make([]string, 0, n)
	for len(out) < n {
		r := int(c.zipf.Uint64())
		if r >= lo && r < hi {
			out = append(out, c.Vocab[r])
		}
	}
	return strings.Join(out, " ")
}

// Typo changes one letter in the middle of w.
func (c *Corpus) Typo(w string) string {
	if len(w) < 5 {
		return w
	}
	b := []byte(w)
	i := 1 + c.rng.IntN(len(b)-2)
	switch c.rng.IntN(3) {
	case 0: // substitute
		b[i] = "aeiounrstk"[c.rng.IntN(10)]
		return string(b)
	case 1: // delete
		return string(b[:i]) + string(b[i+1:])
	default: // transpose-ish: insert
		return string(b[:i]) + string(b[i]) + string(b[i:])
	}
}

// Queries returns n queries: mid-frequency words, some with a typo, some
// two words, some with a filter or a year range, all with two facets and
// highlights, as the archive's users search.
func (c *Corpus) Queries(n int) []search.Query {
	var qs []search.Query
	for len(qs) < n {
		q := search.Query{Facets: []string{search.FieldKind, search.FieldUnit}, Highlight: true, Limit: 20}
		w := c.Vocab[50+c.rng.IntN(4000)]
		switch c.rng.IntN(6) {
		case 0, 1: // one word with a typo
			q.Text = c.Typo(w)
		case 2: // two words, one common
			q.Text = c.Vocab[10+c.rng.IntN(200)] + " " + w
		case 3: // a word and a filter
			q.Text = w
			q.Filters = map[string][]string{search.FieldKind: {kinds[c.rng.IntN(len(kinds))]}}
		case 4: // title words and a year range
			q.Text = []string{"nota kesepahaman", "perjanjian kerja sama", "mou", "letter of intent"}[c.rng.IntN(4)] + " " + c.Typo(c.Vocab[60+c.rng.IntN(2000)])
			q.YearFrom = 2015 + c.rng.IntN(5)
			q.YearTo = q.YearFrom + 3
		default: // partner words, a unit scope
			q.Text = c.Vocab[200+c.rng.IntN(4000)]
			q.Units = []string{units[c.rng.IntN(len(units))], units[c.rng.IntN(len(units))]}
		}
		qs = append(qs, q)
	}
	return qs
}
