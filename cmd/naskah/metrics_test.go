package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsListen: with metrics_listen the metrics are served there
// without a token and not at all on the main listener.
func TestMetricsListen(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.MetricsListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	m := &Main{Config: cfg, Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + m.Addr + "/metrics"); code != 404 || strings.Contains(body, "naskah_http") {
		t.Errorf("main listener: %d, want 404 without metrics", code)
	}
	get("http://" + m.Addr + "/healthz")
	if code, body := get("http://" + m.MetricsAddr + "/metrics"); code != 200 || !strings.Contains(body, "naskah_http_requests_total") {
		t.Errorf("metrics listener: %d, want 200 with the request counter:\n%.300s", code, body)
	}
}

func TestMetricsConfig(t *testing.T) {
	env := map[string]string{"NASKAH_METRICS_TOKEN": "short"}
	if _, err := LoadConfig("", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "NASKAH_METRICS_TOKEN") {
		t.Errorf("a short metrics token: %v, want an error naming NASKAH_METRICS_TOKEN", err)
	}
	env = map[string]string{"NASKAH_METRICS_TOKEN": "a-long-random-metrics-token-42", "NASKAH_METRICS_LISTEN": "127.0.0.1:9100"}
	c, err := LoadConfig("", func(k string) string { return env[k] })
	if err != nil || c.MetricsToken != env["NASKAH_METRICS_TOKEN"] || c.MetricsListen != "127.0.0.1:9100" {
		t.Errorf("got %q %q %v", c.MetricsToken, c.MetricsListen, err)
	}
}
