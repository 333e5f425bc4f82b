package pdf_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// checkPAdES fails t unless out (n signatures, all ours) is PAdES
// baseline at level for every checker: qpdf, pdfsig, pdfcpu and our
// Verify accept it (CheckSigned), pdfcpu reports the PAdES B-B profile
// (and, for B-T, the timestamp), our Verify reports level, the
// dictionaries say ETSI.CAdES.detached, and openssl reads signed
// attributes without signingTime.
func checkPAdES(t *testing.T, out []byte, n int, level pdf.Level) pdftest.Verdicts {
	t.Helper()
	v := pdftest.CheckSigned(t, out, fix.pki.CAPEM(), n)
	online := pdftest.MustPdfcpuValidateLoopback(t, out, fix.pki.CAPEM())
	for i, r := range online {
		if r.Status != model.SignatureStatusValid {
			t.Errorf("pdfcpu (OCSP on loopback): signature %d: %s, %s %v", i+1, r.Status, r.Reason, r.Problems)
		}
	}
	levels, stamps := pdftest.PdfcpuPAdES(online)
	if len(levels) != n {
		t.Errorf("pdfcpu: %d signers, want %d", len(levels), n)
	}
	for i := range levels {
		if levels[i] != "B-B" {
			t.Errorf("pdfcpu: signature %d: PAdES profile %q, want B-B", i+1, levels[i])
		}
		if stamps[i] != (level == pdf.LevelBT) {
			t.Errorf("pdfcpu: signature %d: timestamp %v, want %v", i+1, stamps[i], level == pdf.LevelBT)
		}
	}
	for i, s := range v.Ours.Signatures {
		if s.Level != level {
			t.Errorf("our Verify: signature %d: level %q, want %q (%v)", i+1, s.Level, level, s.Problems)
		}
	}
	if got := bytes.Count(out, []byte("/SubFilter /ETSI.CAdES.detached")); got != n {
		t.Errorf("%d signatures say /SubFilter /ETSI.CAdES.detached, want %d", got, n)
	}
	if bytes.Contains(out, []byte("adbe.pkcs7")) {
		t.Error("a signature says adbe.pkcs7")
	}
	cms := pdftest.Signatures(t, out)
	if len(cms) != n {
		t.Fatalf("%d signature values, want %d", len(cms), n)
	}
	for _, der := range cms {
		pdftest.CheckCAdESAttributes(t, der, level == pdf.LevelBT)
	}
	return v
}

// TestPAdESBaseline signs at B-B and B-T with every key type, alone and
// all five in sequence on one file; every file is PAdES baseline for
// qpdf, pdfsig, pdfcpu, openssl and our Verify, and the forgeries of
// CheckTampered are rejected by all.
func TestPAdESBaseline(t *testing.T) {
	f := mustFixture(t)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait, pdftest.Landscape))
	for _, level := range []pdf.Level{pdf.LevelBB, pdf.LevelBT} {
		t.Run(string(level), func(t *testing.T) {
			opts := pdf.SignOptions{Reason: "Persetujuan", Roots: f.pki.Roots, Level: level, TSAURL: f.tsa}
			for _, k := range pdftest.KeyTypes {
				t.Run(string(k), func(t *testing.T) {
					out := MustSign(t, in, f.keySigner(t, k), opts)
					checkPAdES(t, out, 1, level)
				})
			}
			t.Run("sequence", func(t *testing.T) {
				out := in
				var other []byte
				for i, k := range []pdftest.KeyType{pdftest.P384, pdftest.RSA3072, pdftest.P256, pdftest.RSA4096, pdftest.RSA2048} {
					o := opts
					o.Reason = fmt.Sprintf("Persetujuan %d", i+1)
					o.Visible, o.Page = true, 1
					o.Rect = [4]float64{40 + float64(i)*105, 60, 140 + float64(i)*105, 110}
					if i == 0 {
						other = MustSign(t, in, f.keySigner(t, pdftest.RSA4096), o)
					}
					out = MustSign(t, out, f.keySigner(t, k), o)
					checkPAdES(t, out, i+1, level)
				}
				pdftest.CheckTampered(t, out, other, f.pki.CAPEM())
			})
		})
	}
}

// TestPAdESLevelOption: the default level follows the TSA and the roots
// (B-LTA with both, B-T with a TSA only, else B-B); B-T without a TSA
// and unknown levels are refused before signing.
func TestPAdESLevelOption(t *testing.T) {
	f := mustFixture(t)
	in := pdftest.PDF()
	ltTSA := f.pki.MustTSAWithOCSP(t, f.ocsp)
	// Without roots, a TSA gives B-T: the long-term levels need them.
	noRoots := MustSign(t, in, f.kepala, pdf.SignOptions{TSAURL: f.tsa})
	if got := MustVerify(t, noRoots, f.verifyOp).Signatures[0].Level; got != pdf.LevelBT {
		t.Errorf("TSA without roots: got level %q, want B-T", got)
	}
	// A TSA whose certificate names no OCSP or CRL: B-LTA is refused,
	// not claimed without the data.
	if _, err := pdf.Sign(t.Context(), in, f.keySigner(t, pdftest.P256), pdf.SignOptions{TSAURL: f.tsa, Roots: f.pki.Roots}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Errorf("default level with a TSA without revocation source: got %v, want EINVALID", err)
	}
	for _, tt := range []struct {
		opts pdf.SignOptions
		want pdf.Level
	}{
		{pdf.SignOptions{}, pdf.LevelBB},
		{pdf.SignOptions{TSAURL: ltTSA}, pdf.LevelBLTA},
		{pdf.SignOptions{TSAURL: f.tsa, Level: pdf.LevelBB}, pdf.LevelBB},
		{pdf.SignOptions{TSAURL: f.tsa, Level: pdf.LevelBT}, pdf.LevelBT},
	} {
		tt.opts.Roots = f.pki.Roots
		out := MustSign(t, in, f.keySigner(t, pdftest.P256), tt.opts)
		rep := MustVerify(t, out, f.verifyOp)
		if got := rep.Signatures[0].Level; got != tt.want || !rep.Valid {
			t.Errorf("%+v: got level %q (valid %v), want %q", tt.opts.Level, got, rep.Valid, tt.want)
		}
	}
	for _, o := range []pdf.SignOptions{{Level: pdf.LevelBT}, {Level: "B-X"}} {
		if _, err := pdf.Sign(t.Context(), in, f.kepala, o); naskah.ErrorCode(err) != naskah.EINVALID {
			t.Errorf("level %q: got %v, want EINVALID", o.Level, err)
		}
	}
	for _, s := range []string{"B-B", "b-t", "BLT", "B-LTA", ""} {
		if _, err := pdf.ParseLevel(s); err != nil {
			t.Errorf("ParseLevel(%q): %v", s, err)
		}
	}
	if _, err := pdf.ParseLevel("C"); err == nil || !strings.Contains(err.Error(), "B-B") {
		t.Errorf("ParseLevel(C): got %v, want an error naming the levels", err)
	}
}

// TestPAdESOldSignatureLevel: a signature pdfsign makes by itself
// (adbe.pkcs7.detached, with signingTime) keeps verifying but has no
// PAdES baseline level.
func TestPAdESOldSignatureLevel(t *testing.T) {
	f := mustFixture(t)
	out := bareSign(t, pdftest.PDF(), f.kepala.Key, f.kepala.Certificate, f.kepala.Chain)
	rep := MustVerify(t, out, f.verifyOp)
	if !rep.Valid || rep.Signatures[0].Level != "" {
		t.Errorf("got valid %v level %q, want valid with no level: %v", rep.Valid, rep.Signatures[0].Level, rep.Problems)
	}
}

// TestProofOfExistence: verified a year after the signer's certificate
// expired (an injected clock), a B-T signature is judged at its
// timestamp and passes; the same document at B-B has no proof of
// existence and is INDETERMINATE OUT_OF_BOUNDS_NO_POE, not forged. A
// changed byte is TOTAL_FAILED HASH_FAILURE, another CA's roots
// INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND.
func TestProofOfExistence(t *testing.T) {
	f := mustFixture(t)
	in := MustStampForSigning(t, pdftest.PDF())
	signer := f.keySigner(t, pdftest.P256)
	later := func() time.Time { return signer.Certificate.NotAfter.AddDate(1, 0, 0) }
	bt := MustSign(t, in, signer, pdf.SignOptions{Level: pdf.LevelBT, TSAURL: f.tsa, Roots: f.pki.Roots})
	bb := MustSign(t, in, signer, pdf.SignOptions{Level: pdf.LevelBB, Roots: f.pki.Roots})
	flipped := bytes.Clone(bb)
	flipped[10] ^= 1
	for _, tt := range []struct {
		name      string
		data      []byte
		opts      pdf.VerifyOptions
		valid     bool
		ind, sub  string
		poe       bool
		wantLevel pdf.Level
	}{
		{"B-T now", bt, pdf.VerifyOptions{Roots: f.pki.Roots}, true, pdf.TotalPassed, "", true, pdf.LevelBT},
		{"B-T after expiry", bt, pdf.VerifyOptions{Roots: f.pki.Roots, Now: later}, true, pdf.TotalPassed, "", true, pdf.LevelBT},
		{"B-B now", bb, pdf.VerifyOptions{Roots: f.pki.Roots}, true, pdf.TotalPassed, "", false, pdf.LevelBB},
		{"B-B after expiry", bb, pdf.VerifyOptions{Roots: f.pki.Roots, Now: later}, false, pdf.Indeterminate, "OUT_OF_BOUNDS_NO_POE", false, pdf.LevelBB},
		{"byte changed", flipped, pdf.VerifyOptions{Roots: f.pki.Roots}, false, pdf.TotalFailed, "HASH_FAILURE", false, ""},
		{"other roots", bb, pdf.VerifyOptions{Roots: pdftest.MustPKI(t).Roots}, false, pdf.Indeterminate, "NO_CERTIFICATE_CHAIN_FOUND", false, pdf.LevelBB},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := MustVerify(t, tt.data, tt.opts)
			s := rep.Signatures[0]
			if rep.Valid != tt.valid || s.Indication != tt.ind || s.SubIndication != tt.sub || s.Level != tt.wantLevel {
				t.Errorf("got valid %v, %s %s, level %q; want valid %v, %s %s, level %q (%v)", rep.Valid, s.Indication, s.SubIndication, s.Level, tt.valid, tt.ind, tt.sub, tt.wantLevel, s.Problems)
			}
			if got := !s.ProofOfExistence.IsZero(); got != tt.poe || tt.poe && !s.ProofOfExistence.Equal(s.Timestamp.Time) {
				t.Errorf("got proof of existence %v, want one: %v", s.ProofOfExistence, tt.poe)
			}
		})
	}
}

// TestPAdESLongTerm: B-T signatures (every key type, and two in
// sequence) extended with a /DSS of the signers' and the TSA's chains
// and OCSP responses (loopback responder) reach B-LT: every checker
// accepts the file, our Verify reports B-LT and still passes a year
// after the signer's certificate expired. A byte changed in the DSS's
// OCSP response drops the level to B-T; anything else appended after
// the DSS, or a catalog changed beyond /DSS, makes the file invalid.
func TestPAdESLongTerm(t *testing.T) {
	f := mustFixture(t)
	ca := f.pki.CAPEM()
	tsa := f.pki.MustTSAWithOCSP(t, f.ocsp)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait))
	ltv := func(t *testing.T, data []byte) []byte {
		out, err := pdf.AddValidationData(t.Context(), data, pdf.LTVOptions{Roots: f.pki.Roots})
		if err != nil {
			t.Fatalf("add validation data: %v", err)
		}
		if !bytes.HasPrefix(out, data) {
			t.Fatal("the signed bytes changed")
		}
		return out
	}
	levels := func(t *testing.T, rep *pdf.Report, want pdf.Level) {
		t.Helper()
		for i, s := range rep.Signatures {
			if s.Level != want || s.Indication != pdf.TotalPassed {
				t.Errorf("signature %d: level %q %s %s, want %q TOTAL_PASSED (%v)", i+1, s.Level, s.Indication, s.SubIndication, want, s.Problems)
			}
		}
	}
	for _, k := range pdftest.KeyTypes {
		t.Run(string(k), func(t *testing.T) {
			signer := f.keySigner(t, k)
			bt := MustSign(t, in, signer, pdf.SignOptions{Level: pdf.LevelBT, TSAURL: tsa, Roots: f.pki.Roots})
			lt := ltv(t, bt)
			v := pdftest.CheckLongTerm(t, lt, ca, 1)
			levels(t, v.Ours, pdf.LevelBLT)
			later := func() time.Time { return signer.Certificate.NotAfter.AddDate(1, 0, 0) }
			levels(t, MustVerify(t, lt, pdf.VerifyOptions{Roots: f.pki.Roots, Now: later}), pdf.LevelBLT)
		})
	}
	t.Run("sequence", func(t *testing.T) {
		one := MustSign(t, in, f.keySigner(t, pdftest.P256), pdf.SignOptions{Level: pdf.LevelBT, TSAURL: tsa, Roots: f.pki.Roots})
		two := MustSign(t, one, f.keySigner(t, pdftest.RSA3072), pdf.SignOptions{Level: pdf.LevelBT, TSAURL: tsa, Roots: f.pki.Roots})
		lt := ltv(t, two)
		v := pdftest.CheckLongTerm(t, lt, ca, 2)
		levels(t, v.Ours, pdf.LevelBLT)
	})
	t.Run("sign at B-LT twice", func(t *testing.T) {
		opts := pdf.SignOptions{Level: pdf.LevelBLT, TSAURL: tsa, Roots: f.pki.Roots}
		one := MustSign(t, in, f.keySigner(t, pdftest.RSA2048), opts)
		levels(t, pdftest.CheckLongTerm(t, one, ca, 1).Ours, pdf.LevelBLT)
		two := MustSign(t, one, f.keySigner(t, pdftest.P384), opts)
		levels(t, pdftest.CheckLongTerm(t, two, ca, 2).Ours, pdf.LevelBLT)
	})
	t.Run("no revocation source", func(t *testing.T) {
		// The fixture's kepala names no OCSP responder: B-LT is refused
		// rather than claimed without the data.
		_, err := pdf.Sign(t.Context(), in, f.kepala, pdf.SignOptions{Level: pdf.LevelBLT, TSAURL: tsa, Roots: f.pki.Roots})
		if naskah.ErrorCode(err) != naskah.EINVALID {
			t.Errorf("got %v, want EINVALID", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		bt := MustSign(t, in, f.keySigner(t, pdftest.P384), pdf.SignOptions{Level: pdf.LevelBT, TSAURL: tsa, Roots: f.pki.Roots})
		lt := ltv(t, bt)
		// The DSS streams follow the signed bytes; the last stream before
		// the DSS dictionary is an OCSP response: flip a byte of it.
		dss := bytes.LastIndex(lt, []byte("/Type /DSS"))
		body := bytes.LastIndex(lt[:dss], []byte(">>\nstream\n")) + len(">>\nstream\n")
		ocspChanged := bytes.Clone(lt)
		ocspChanged[body+40] ^= 1
		rep := MustVerify(t, ocspChanged, f.verifyOp)
		if !rep.Valid || rep.Signatures[0].Level != pdf.LevelBT {
			t.Errorf("OCSP response changed: got valid %v level %q, want valid B-T: %v %v", rep.Valid, rep.Signatures[0].Level, rep.Problems, rep.Signatures[0].Problems)
		}
		appended := pdftest.AppendUpdate(lt)
		if rep := MustVerify(t, appended, f.verifyOp); rep.Valid || rep.ValidationDataAfter {
			t.Errorf("an update after the DSS: got valid %v, validation data only %v; want invalid", rep.Valid, rep.ValidationDataAfter)
		}
		cat := bytes.LastIndex(lt, []byte("/Type /Catalog"))
		if cat < len(bt) {
			t.Fatal("no catalog in the DSS update")
		}
		catChanged := bytes.Clone(lt)
		copy(catChanged[cat:], "/Type /Katalog")
		if rep := MustVerify(t, catChanged, f.verifyOp); rep.Valid || rep.ValidationDataAfter {
			t.Errorf("a catalog changed beyond /DSS: got valid %v, validation data only %v; want invalid", rep.Valid, rep.ValidationDataAfter)
		}
	})
}

// TestPAdESArchival: signatures made at B-LTA (every key type, and two
// in sequence) carry a document timestamp over their /DSS, which holds
// the timestamp's own validation data too; every checker accepts them, our
// Verify reports B-LTA and still passes a year after the signer's
// certificate expired, while the same text at B-B is then INDETERMINATE
// OUT_OF_BOUNDS_NO_POE. A byte changed inside the DSS the document
// timestamp covers, or inside the document timestamp, fails.
func TestPAdESArchival(t *testing.T) {
	f := mustFixture(t)
	ca := f.pki.CAPEM()
	tsa := f.pki.MustTSAWithOCSP(t, f.ocsp)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait))
	opts := pdf.SignOptions{Level: pdf.LevelBLTA, TSAURL: tsa, Roots: f.pki.Roots}
	levels := func(t *testing.T, rep *pdf.Report, n int) {
		t.Helper()
		sigs := 0
		for i, s := range rep.Signatures {
			if s.Kind == pdf.KindDocTimestamp {
				if s.Indication != pdf.TotalPassed {
					t.Errorf("document timestamp %d: %s %s (%v)", i+1, s.Indication, s.SubIndication, s.Problems)
				}
				continue
			}
			sigs++
			if s.Level != pdf.LevelBLTA || s.Indication != pdf.TotalPassed {
				t.Errorf("signature %d: level %q %s %s, want B-LTA TOTAL_PASSED (%v)", i+1, s.Level, s.Indication, s.SubIndication, s.Problems)
			}
		}
		if sigs != n {
			t.Errorf("%d signatures, want %d", sigs, n)
		}
	}
	var lta []byte
	for _, k := range pdftest.KeyTypes {
		t.Run(string(k), func(t *testing.T) {
			signer := f.keySigner(t, k)
			lta = MustSign(t, in, signer, opts)
			levels(t, pdftest.CheckArchival(t, lta, ca, 1, 1).Ours, 1)
			later := func() time.Time { return signer.Certificate.NotAfter.AddDate(1, 0, 0) }
			levels(t, MustVerify(t, lta, pdf.VerifyOptions{Roots: f.pki.Roots, Now: later}), 1)
			bb := MustSign(t, in, signer, pdf.SignOptions{Level: pdf.LevelBB, Roots: f.pki.Roots})
			if s := MustVerify(t, bb, pdf.VerifyOptions{Roots: f.pki.Roots, Now: later}).Signatures[0]; s.Indication != pdf.Indeterminate || s.SubIndication != "OUT_OF_BOUNDS_NO_POE" {
				t.Errorf("B-B after expiry: got %s %s, want INDETERMINATE OUT_OF_BOUNDS_NO_POE", s.Indication, s.SubIndication)
			}
		})
	}
	t.Run("sequence", func(t *testing.T) {
		// The first signer at B-LT, the last at B-LTA: one document
		// timestamp over both (pdfcpu accepts a document timestamp only
		// as the last revision).
		lt := opts
		lt.Level = pdf.LevelBLT
		one := MustSign(t, in, f.keySigner(t, pdftest.RSA4096), lt)
		two := MustSign(t, one, f.keySigner(t, pdftest.P256), opts)
		levels(t, pdftest.CheckArchival(t, two, ca, 2, 1).Ours, 2)
	})
	t.Run("sign at B-LTA twice", func(t *testing.T) {
		// The second signature and its document timestamp follow the
		// first's: our Verify, qpdf and pdfsig accept it; pdfcpu is not
		// asked (it accepts a document timestamp only as the last
		// revision, which the first no longer is).
		one := MustSign(t, in, f.keySigner(t, pdftest.P384), opts)
		two := MustSign(t, one, f.keySigner(t, pdftest.RSA2048), opts)
		rep := MustVerify(t, two, f.verifyOp)
		if !rep.Valid || len(rep.Signatures) != 4 {
			t.Fatalf("got valid %v with %d signatures, want valid with 2 and 2 document timestamps: %v", rep.Valid, len(rep.Signatures), rep.Problems)
		}
		levels(t, rep, 2)
		if q := pdftest.MustQpdfCheck(t, two); q != "" {
			t.Errorf("qpdf --check: %s", q)
		}
		if r := pdftest.MustNSSDBFor(t, ca).MustPdfsig(t, two); r.Total != 4 || r.Valid != 2 || r.Trusted != 2 {
			t.Errorf("pdfsig: %d signatures, %d valid, %d trusted; want 4, 2, 2:\n%s", r.Total, r.Valid, r.Trusted, r.Output)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		// The DSS (covered by the document timestamp) follows the
		// signature; its last stream is an OCSP response.
		sig := bytes.Index(lta, []byte("/Type /DSS"))
		first := bytes.Index(lta, []byte("/Type /DocTimeStamp"))
		if sig < 0 || first < sig {
			t.Fatal("no DSS before the document timestamp")
		}
		body := bytes.LastIndex(lta[:sig], []byte(">>\nstream\n")) + len(">>\nstream\n")
		dssChanged := bytes.Clone(lta)
		dssChanged[body+20] ^= 1
		tokenChanged := bytes.Clone(lta)
		c := bytes.Index(tokenChanged[first:], []byte("/Contents<")) + first + len("/Contents<") + 200
		tokenChanged[c] = "01"[tokenChanged[c]&1] // another hex digit
		if tokenChanged[c] == lta[c] {
			tokenChanged[c] = 'f'
		}
		for name, data := range map[string][]byte{"DSS byte": dssChanged, "timestamp byte": tokenChanged} {
			rep := MustVerify(t, data, f.verifyOp)
			var dts *pdf.SignatureReport
			for i := range rep.Signatures {
				if rep.Signatures[i].Kind == pdf.KindDocTimestamp {
					dts = &rep.Signatures[i]
				}
			}
			if rep.Valid || dts == nil || dts.Indication == pdf.TotalPassed {
				t.Errorf("%s changed: got valid %v, document timestamp %+v; want invalid", name, rep.Valid, dts)
			}
			pdftest.CheckRejected(t, data, ca)
		}
	})
}

// BenchmarkSignLevels signs the same stamped page at each level in one
// run (TSA and OCSP responder on loopback, P-256 key):
//
//	go test ./pipeline/pdf -run '^$' -bench SignLevels -benchtime 20x
func BenchmarkSignLevels(b *testing.B) {
	f := mustFixture(b)
	tsa := f.pki.MustTSAWithOCSP(b, f.ocsp)
	in := MustStampForSigning(b, pdftest.PDF(pdftest.Portrait))
	signer := f.keySigner(b, pdftest.P256)
	for _, l := range []pdf.Level{pdf.LevelBB, pdf.LevelBT, pdf.LevelBLT, pdf.LevelBLTA} {
		b.Run(string(l), func(b *testing.B) {
			var size int
			for b.Loop() {
				out := MustSign(b, in, signer, pdf.SignOptions{Level: l, TSAURL: tsa, Roots: f.pki.Roots})
				size = len(out)
			}
			b.ReportMetric(float64(size-len(in)), "added-bytes")
		})
	}
}

// TestPAdESRevocation: revocation is judged at the proof of existence.
// A signer revoked after the signature's timestamp still passes at
// B-LTA (the DSS keeps the "revoked" answer, dated after the proof); one
// revoked before it cannot be extended, and cannot sign at B-LT.
func TestPAdESRevocation(t *testing.T) {
	p := pdftest.MustPKI(t)
	ocsp := p.MustOCSP(t)
	tsa := p.MustTSAWithOCSP(t, ocsp)
	in := MustStampForSigning(t, pdftest.PDF())
	opts := pdf.SignOptions{Level: pdf.LevelBT, TSAURL: tsa, Roots: p.Roots}
	vopts := pdf.VerifyOptions{Roots: p.Roots}

	after := p.MustSignerWith(t, "Pejabat Dicabut Kemudian", "", pdftest.CertOpts{Key: pdftest.P256, OCSPURL: ocsp})
	bt := MustSign(t, in, after, opts)
	p.Revoke(after.Certificate, time.Now().Add(time.Hour))
	lta, err := pdf.AddArchiveTimestamp(t.Context(), bt, tsa, pdf.LTVOptions{Roots: p.Roots})
	if err != nil {
		t.Fatalf("revoked after the proof: %v", err)
	}
	rep := MustVerify(t, lta, vopts)
	if s := rep.Signatures[0]; !rep.Valid || s.Level != pdf.LevelBLTA || s.Indication != pdf.TotalPassed {
		t.Errorf("revoked after the proof: got valid %v, %q %s %s; want valid B-LTA TOTAL_PASSED (%v)", rep.Valid, s.Level, s.Indication, s.SubIndication, rep.Problems)
	}
	if q := pdftest.MustQpdfCheck(t, lta); q != "" {
		t.Errorf("qpdf --check: %s", q)
	}

	before := p.MustSignerWith(t, "Pejabat Dicabut Dahulu", "", pdftest.CertOpts{Key: pdftest.P256, OCSPURL: ocsp})
	bt = MustSign(t, in, before, opts)
	p.Revoke(before.Certificate, time.Now().Add(-time.Hour))
	if _, err := pdf.AddValidationData(t.Context(), bt, pdf.LTVOptions{Roots: p.Roots}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Errorf("revoked before the proof, extended: got %v, want EFORBIDDEN", err)
	}
	lt := opts
	lt.Level = pdf.LevelBLT
	if _, err := pdf.Sign(t.Context(), in, before, lt); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Errorf("revoked, signing at B-LT: got %v, want EFORBIDDEN", err)
	}
}
