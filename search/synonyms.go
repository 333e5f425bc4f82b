package search

import "strings"

// Synonyms are groups of equivalent terms, lowercase, one group per line:
// a query for any member also finds documents that use another. Both
// adapters use this list (Meilisearch as index settings, bleve at query
// time), so a change here changes both.
var Synonyms = [][]string{
	{"mou", "nota kesepahaman", "memorandum of understanding", "memorandum saling pengertian"},
	{"pks", "perjanjian kerja sama", "perjanjian kerjasama"},
	{"loi", "letter of intent", "surat pernyataan kehendak"},
	{"rod", "record of discussion", "record of discussions"},
	{"mom", "minutes of meeting", "notulen rapat", "risalah rapat"},
	{"ctc", "certified true copy", "salinan naskah asli"},
	{"full powers", "surat kuasa penuh"},
	{"kemenlu", "kementerian luar negeri", "ministry of foreign affairs"},
	{"bpom", "badan pengawas obat dan makanan"},
	{"monev", "monitoring dan evaluasi", "monitoring and evaluation"},
	{"perpanjangan", "extension", "renewal"},
	{"dalam negeri", "domestic"},
	{"luar negeri", "foreign"},
	{"pelaku usaha", "business"},
	{"pemerintah", "government"},
	{"organisasi internasional", "international organization", "international organisation"},
	{"masyarakat", "society", "community"},
	{"akademisi", "academia", "academic", "university", "universitas"},
	{"obat", "drug", "drugs", "medicine"},
	{"makanan", "pangan", "food"},
	{"kosmetik", "cosmetic", "cosmetics"},
	{"vaksin", "vaccine", "vaccines"},
}

// SynonymMap returns Synonyms as Meilisearch's settings want them: every
// term maps to all other members of its group.
func SynonymMap() map[string][]string {
	m := make(map[string][]string)
	for _, g := range Synonyms {
		for _, a := range g {
			for _, b := range g {
				if a != b {
					m[a] = append(m[a], b)
				}
			}
		}
	}
	return m
}

// SynonymsOf returns, for a lowercase phrase of words, the other members of
// its synonym groups split into words (nil when it has none).
func SynonymsOf(words []string) [][]string {
	phrase := strings.Join(words, " ")
	var out [][]string
	for _, g := range Synonyms {
		in := false
		for _, s := range g {
			if s == phrase {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		for _, s := range g {
			if s != phrase {
				out = append(out, strings.Fields(s))
			}
		}
	}
	return out
}

// MaxSynonymWords is the longest synonym in words, so a caller scanning a
// query knows how far to look ahead.
var MaxSynonymWords = func() int {
	n := 0
	for _, g := range Synonyms {
		for _, s := range g {
			n = max(n, len(strings.Fields(s)))
		}
	}
	return n
}()

// TypoBudget returns how many typos a query word of n runes may have,
// following Meilisearch's defaults: none below 5 runes, 1 below 9, else 2.
func TypoBudget(n int) int {
	switch {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}
