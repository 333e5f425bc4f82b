package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestSOPCommandPrintsEveryStep(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"sop"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"A1 ", "A10", "B11", "C4", "5 (UPT) / 10 (pusat)", "tanggal penandatanganan", "Tidak setuju"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("naskah sop output lacks %q", want)
		}
	}
	if code := run(context.Background(), []string{"sop", "-process", "X"}, &out, &errOut); code != 2 {
		t.Errorf("unknown process: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"nope"}, &out, &errOut); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

func TestConfigLayers(t *testing.T) {
	env := map[string]string{"NASKAH_MAX_UPLOAD_MB": "20", "NASKAH_MINIO_ENDPOINT": "127.0.0.1:9000"}
	_, err := LoadConfig("", func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "NASKAH_MINIO_ACCESS_KEY") {
		t.Fatalf("missing MinIO credentials: %v, want an error naming NASKAH_MINIO_ACCESS_KEY", err)
	}
	env["NASKAH_MINIO_ACCESS_KEY"], env["NASKAH_MINIO_SECRET_KEY"] = "a", "b"
	c, err := LoadConfig("", func(k string) string { return env[k] })
	if err != nil || c.MaxUploadMB != 20 || c.MinIO.Endpoint != "127.0.0.1:9000" {
		t.Fatalf("got %+v, %v", c, err)
	}
	env["NASKAH_MAX_UPLOAD_MB"] = "lots"
	if _, err := LoadConfig("", func(k string) string { return env[k] }); err == nil {
		t.Fatalf("a non-number was accepted")
	}
}

// TestMainServesOnEmbeddedDefaults is the README's first command in
// miniature: a fresh data dir, port 0, nothing else installed.
func TestMainServesOnEmbeddedDefaults(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen = t.TempDir(), "127.0.0.1:0"
	var out bytes.Buffer
	m := &Main{Config: cfg, Out: &out}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.Contains(out.String(), "bkh") {
		t.Fatalf("first run did not print the demo users:\n%s", out.String())
	}
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/openapi.json", "/login", "/static/app.css"} {
		resp, err := http.Get("http://" + m.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// TestSecondProcessOnOneDataDir: a locked data dir is a clear error, and
// closing the half-opened Main does not panic.
func TestSecondProcessOnOneDataDir(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	first := &Main{Config: cfg, Out: io.Discard}
	if err := first.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second := &Main{Config: cfg, Out: io.Discard}
	err := second.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open: %v, want an error saying the directory is in use", err)
	}
	if err := second.Close(); err != nil {
		t.Fatalf("close after a failed open: %v", err)
	}
}

// TestServeUILogin logs in through the web UI of a served Main with the
// demo password printed on the first run: the API's sessions back the UI.
func TestServeUILogin(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.LogLevel = t.TempDir(), "127.0.0.1:0", "error"
	var out bytes.Buffer
	m := &Main{Config: cfg, Out: &out}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pw := regexp.MustCompile(`(?m)^\s*bkh\s+BKH\s+password\s+(\S+)`).FindStringSubmatch(out.String())
	if pw == nil {
		t.Fatalf("no bkh password in the first-run output:\n%s", out.String())
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	base := "http://" + m.Addr
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if csrf == nil {
		t.Fatalf("login page has no CSRF field:\n%s", page)
	}
	resp, err = client.PostForm(base+"/login", url.Values{"_csrf": {string(csrf[1])}, "user": {"bkh"}, "password": {pw[1]}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "BKH") || !strings.Contains(string(page), "Keluar") {
		t.Fatalf("after login: %d\n%s", resp.StatusCode, page)
	}
	// A wrong password, from a browser that has just opened the form.
	jar2, _ := cookiejar.New(nil)
	other := &http.Client{Jar: jar2}
	resp, _ = other.Get(base + "/login")
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf = regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	resp, _ = other.PostForm(base+"/login", url.Values{"_csrf": {string(csrf[1])}, "user": {"bkh"}, "password": {"salah"}})
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(page), "password") {
		t.Fatalf("wrong password: %d, want 401 with a message\n%s", resp.StatusCode, page)
	}
}
