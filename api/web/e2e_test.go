package web_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// mustChromium returns the Chromium binary, skipping the test when it is
// missing unless NASKAH_REQUIRE_TOOLS=1 (CI), where a missing browser fails.
func mustChromium(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("NASKAH_REQUIRE_TOOLS") == "1" {
		tb.Fatal("chromium is not installed: apt-get install -y chromium")
	}
	tb.Skip("chromium is not installed; set NASKAH_REQUIRE_TOOLS=1 to make this a failure")
	return ""
}

// artifactsDir is where screenshots go: $NASKAH_ARTIFACTS/web-e2e or a temp dir.
func artifactsDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if d := os.Getenv("NASKAH_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "web-e2e")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// browser drives one headless Chromium against a served UI.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	n    int
}

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

// shot writes a full-page PNG screenshot as a test artifact.
func (b *browser) shot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	b.n++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// value runs an action that returns a string.
func (b *browser) value(a chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.shot("failed-value")
		b.t.Fatalf("read value: %v", err)
	}
	return v
}

func clearCookies() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
}

func (b *browser) login(user string) {
	b.t.Helper()
	b.run("login "+user,
		clearCookies(),
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), user+"-pass"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#tasks-h")),
	)
}

func (b *browser) upload(id string, kind naskah.DocumentKind, file string) {
	b.t.Helper()
	b.run("upload "+string(kind),
		chromedp.Navigate(b.base+"/agreements/"+id),
		chromedp.WaitVisible(chromedp.CSS("#up-file")),
		chromedp.SetValue(chromedp.CSS("#up-kind"), string(kind)),
		chromedp.SetUploadFiles(chromedp.CSS("#up-file"), []string{file}),
		chromedp.Click(chromedp.CSS("form.upload button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
}

func (b *browser) act(id string, kind naskah.ActionKind) {
	b.t.Helper()
	b.run("act "+string(kind),
		chromedp.Navigate(b.base+"/agreements/"+id),
		chromedp.WaitVisible(chromedp.CSS("form.act-"+string(kind)+" button")),
		chromedp.Click(chromedp.CSS("form.act-"+string(kind)+" button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
}

// noOverflow fails when the page scrolls sideways.
func (b *browser) noOverflow(what string) {
	b.t.Helper()
	widths, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if err != nil {
		b.t.Fatalf("measure %s: %v", what, err)
	}
	if widths[0] > widths[1] {
		b.t.Errorf("%s: horizontal overflow: scrollWidth %d > clientWidth %d", what, widths[0], widths[1])
	}
}

func TestEndToEndBrowser(t *testing.T) {
	chromium := mustChromium(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e := MustEnv(t, base)
	go e.App.Listener(ln)
	t.Cleanup(func() { _ = e.App.Shutdown() })

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	go e.Engine.RunOutbox(ctx)

	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "naskah.pdf")
	if err := os.WriteFile(pdfPath, pdftest.PDF(pdftest.Portrait, pdftest.Portrait), 0o644); err != nil {
		t.Fatal(err)
	}
	_, pass, keystorePath := e.keystore(t, "kepala")

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")), chromedp.WindowSize(1280, 900),
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	b := &browser{t: t, ctx: bctx, base: base, dir: artifactsDir(t)}
	t.Logf("screenshots in %s", b.dir)
	b.run("start", chromedp.EmulateViewport(1280, 900))

	// BKH initiates.
	b.run("open login", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#user")))
	b.shot("login")
	b.login("bkh")
	b.shot("dashboard-empty")
	b.run("initiate",
		chromedp.Navigate(base+"/agreements/new"),
		chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "MoU Pengawasan Obat dan Makanan dengan Universitas Gadjah Mada"),
		chromedp.SendKeys(chromedp.CSS("#partner"), "Universitas Gadjah Mada"),
		chromedp.SetValue(chromedp.CSS("#partner_kind"), "academia"),
		chromedp.SendKeys(chromedp.CSS("#unit"), "Direktorat Registrasi Obat"),
	)
	b.shot("initiate-form")
	b.run("submit initiate",
		chromedp.Click(chromedp.CSS(`form[action="/agreements"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#act-h")))
	loc := b.value(chromedp.Location())
	id := strings.TrimPrefix(loc, base+"/agreements/")
	if id == loc || id == "" {
		t.Fatalf("after initiate the browser is at %s, want an agreement page", loc)
	}
	b.shot("detail-A1")

	// BKH: A1 → A2 → A3 → A4, with uploads through the progress-bar form.
	b.upload(id, naskah.DocNotaDinas, pdfPath)
	b.upload(id, naskah.DocInitialDraft, pdfPath)
	b.shot("detail-A1-uploaded")
	b.act(id, naskah.ActionSubmit)
	b.upload(id, naskah.DocReviewedDraft, pdfPath)
	b.act(id, naskah.ActionSubmit)
	b.upload(id, naskah.DocReviewNotaDinas, pdfPath)
	b.act(id, naskah.ActionSubmit)

	// BHO: legal drafting (A4).
	b.login("bho")
	b.shot("dashboard-bho")
	b.upload(id, naskah.DocFinalDraft, pdfPath)
	b.upload(id, naskah.DocLegalNotaDinas, pdfPath)
	b.act(id, naskah.ActionSubmit)

	// BKH reports to leadership (A5); KEPALA approves (A6).
	b.login("bkh")
	b.upload(id, naskah.DocReportNotaDinas, pdfPath)
	b.act(id, naskah.ActionSubmit)
	b.login("kepala")
	b.run("open A6", chromedp.Navigate(base+"/agreements/"+id), chromedp.WaitVisible(chromedp.CSS("form.act-approve")))
	b.shot("detail-A6-approve")
	b.act(id, naskah.ActionApprove)

	// BKH: cover letter (A7), text to sign (A8).
	b.login("bkh")
	b.upload(id, naskah.DocCoverLetter, pdfPath)
	b.act(id, naskah.ActionSubmit)
	b.upload(id, naskah.DocTextToSign, pdfPath)
	b.act(id, naskah.ActionSubmit)

	// KEPALA signs (A9).
	b.login("kepala")
	b.run("open signing page",
		chromedp.Navigate(base+"/agreements/"+id+"/sign"),
		chromedp.WaitVisible(chromedp.CSS("#passphrase")))
	b.shot("sign-form")
	b.run("sign",
		chromedp.SetUploadFiles(chromedp.CSS("#keystore"), []string{keystorePath}),
		chromedp.SendKeys(chromedp.CSS("#passphrase"), pass),
		chromedp.Click(chromedp.CSS(`form[action$="/sign"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".verdict.ok")))
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("#verify-link"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	verifyHref := href.Value
	b.shot("sign-result")
	// The link is the URL the engine put in the signed text's QR code.
	if want := e.Engine.Config.VerifyURL + "/" + id; verifyHref != want {
		t.Fatalf("verification link %q, want the QR code's URL %q", verifyHref, want)
	}

	// Anyone opens the verification page from that URL, without logging in.
	b.run("public verify",
		clearCookies(),
		chromedp.Navigate(verifyHref),
		chromedp.WaitVisible(chromedp.CSS(".verdict")))
	verdict := b.value(chromedp.Text(chromedp.CSS(".verdict")))
	signer := b.value(chromedp.Text(chromedp.CSS("dl.sig")))
	b.shot("verify-public")
	if !strings.Contains(verdict, "ASLI") || !strings.Contains(signer, "Dr. Taruna Ikrar") {
		t.Fatalf("verification page: verdict %q, signer %q; want ASLI by Dr. Taruna Ikrar", verdict, signer)
	}
	b.run("verify upload",
		chromedp.SetUploadFiles(chromedp.CSS("#ver-file"), []string{pdfPath}),
		chromedp.Click(chromedp.CSS(`#up-h ~ form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#upload-result")))
	b.shot("verify-upload-unsigned")

	// BKH finds it by a word of its text (the index catches up through the outbox).
	b.login("bkh")
	found := false
	for i := 0; i < 20 && !found; i++ {
		b.run("search",
			chromedp.Navigate(base+"/search?q=laboratorium"),
			chromedp.WaitVisible(chromedp.CSS("#q")))
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('a[href^="/agreements/%s"]').length`, id)))
		if err != nil {
			t.Fatal(err)
		}
		found = n > 0
		if !found {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if !found {
		b.shot("search-miss")
		t.Fatalf("search for a word of the text did not find agreement %s", id)
	}
	marks, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('.snippet mark').length`))
	if err != nil {
		t.Fatal(err)
	}
	if marks == 0 {
		t.Errorf("search hit has no highlighted snippet")
	}
	b.shot("search")
	b.run("detail done", chromedp.Navigate(base+"/agreements/"+id), chromedp.WaitVisible(chromedp.CSS("#documents")))
	b.noOverflow("agreement page at 1280 px")
	b.shot("detail-A9-signed")
	b.run("dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#tasks-h")))
	b.shot("dashboard-bkh")
	b.run("list", chromedp.Navigate(base+"/agreements"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	b.shot("list")
	b.run("monev", chromedp.Navigate(base+"/monev"), chromedp.WaitVisible(chromedp.CSS("#r-h")))
	b.shot("monev")
	b.run("english", chromedp.Navigate(base+"/agreements/"+id+"?lang=en"), chromedp.WaitVisible(chromedp.CSS("#documents")))
	b.shot("detail-english")
	b.run("back to id", chromedp.Navigate(base+"/?lang=id"), chromedp.WaitVisible(chromedp.CSS("#tasks-h")))

	// Phone width: no page may scroll sideways.
	b.run("phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	for _, p := range []struct{ name, path, wait string }{
		{"phone-dashboard", "/", "#tasks-h"},
		{"phone-agreement", "/agreements/" + id, "#documents"},
		{"phone-list", "/agreements", "h1"},
		{"phone-search", "/search?q=laboratorium", "#q"},
		{"phone-sign", "/agreements/" + id + "/sign", "h1"},
		{"phone-verify", "/verify/" + id, ".verdict"},
	} {
		b.run(p.name, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		b.noOverflow(p.name)
		b.shot(p.name)
	}
}
