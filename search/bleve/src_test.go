package bleve

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve/internal/synth"
)

func TestDecodeSrc(t *testing.T) {
	docs := synth.New(50, 10, 5).Docs
	loc := time.FixedZone("WIB", 7*3600)
	docs = append(docs,
		search.Doc{ID: "x", Type: search.TypeVersion},
		search.Doc{ID: "y", Type: search.TypeAgreement, Title: `Kerja "sama", <b>tebal</b> & café\n`, Number: "HK.07/01",
			Version: 3, SignedAt: time.Date(2021, 3, 4, 5, 6, 7, 890, loc), UpdatedAt: time.Unix(1700000000, 0)},
		search.Doc{ID: "z", Type: search.TypeAgreement, PartnerName: "Ünïcödé \u2028 tab\t", YearSigned: -1},
	)
	for _, d := range docs {
		d.Text = ""
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var want, got search.Doc
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeSrc(string(b), &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\ngot  %+v\nwant %+v", b, got, want)
		}
	}
	var d search.Doc
	if err := decodeSrc(`{"id":`, &d); err == nil {
		t.Fatal("truncated JSON: no error")
	}
}
