package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/storage/local"
)

// TestPublicVerifyAfterExpiry: four years after signing, the signer's
// certificate (3 years) has expired and the text carries no timestamp: the
// public verification of the record's signed text is still genuine,
// validated at the signing time Naskah recorded, and says so; the same
// bytes uploaded to /verify, without the record, are validated now.
func TestPublicVerifyAfterExpiry(t *testing.T) {
	v := MustStartLocal(t)
	id := v.toDelivery("PKS Arsip Sepuluh Tahun")
	v.sign("kepala", id)
	data := v.signedBytes(id)
	later := time.Now().AddDate(4, 0, 0)
	v.engine.Now = func() time.Time { return later }
	var pub struct {
		Genuine bool `json:"genuine"`
		Report  struct {
			Valid      bool
			Signatures []struct {
				AtRecordedTime bool      `json:"atRecordedTime"`
				ValidatedAt    time.Time `json:"validatedAt"`
			}
		} `json:"report"`
		Signatures []pipeline.SignatureBinding `json:"signatures"`
	}
	v.MustJSON("", "GET", "/public/verify/"+id, nil, 200, &pub)
	if !pub.Genuine || !pub.Report.Valid || len(pub.Report.Signatures) != 1 || !pub.Report.Signatures[0].AtRecordedTime || !pub.Signatures[0].AtRecordedTime ||
		pub.Report.Signatures[0].ValidatedAt.After(time.Now().Add(time.Hour)) {
		t.Fatalf("public verification four years on: %+v, want genuine, validated at the recorded signing time", pub)
	}
	// POST /verify verifies with VerifyDocument: the file alone, no record.
	if rep, err := v.engine.VerifyDocument(context.Background(), data); err != nil || rep.Valid {
		t.Fatalf("the file alone, four years on: %v valid=%v, want not valid (expired, no timestamp)", err, rep != nil && rep.Valid)
	}
}

// TestDemoRegistrationRace: two replicas starting on one store register
// the demo certificates at once: both succeed, each certificate once.
func TestDemoRegistrationRace(t *testing.T) {
	v := MustStartLocal(t)
	st, err := local.Open(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	engines := []*pipeline.Engine{pipeline.New(st, nil, pipeline.DefaultConfig()), pipeline.New(st, nil, pipeline.DefaultConfig())}
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = v.demo.RegisterCertificates(context.Background(), e) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	all, err := engines[0].AllCertificates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for u, cs := range all {
		if len(cs) != 1 {
			t.Fatalf("%s has %d certificates, want 1", u, len(cs))
		}
	}
	if len(all) == 0 {
		t.Fatal("no certificate registered")
	}
}
