// Package miniotest starts a real MinIO server for tests, on a free loopback
// port with a temporary data directory.
//
// The binary is $NASKAH_MINIO_BIN, else $(go env GOPATH)/bin/minio, else
// minio on PATH (deploy/install-minio.sh installs it). If none is found the
// test is skipped, or fails when NASKAH_REQUIRE_MINIO=1 (CI).
package miniotest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running MinIO. Stop and Restart are safe for concurrent use.
type Server struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string

	tb      testing.TB
	bin     string
	dir     string
	console string
	logPath string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start starts MinIO and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		msg := "minio binary not found (set NASKAH_MINIO_BIN or run deploy/install-minio.sh)"
		if os.Getenv("NASKAH_REQUIRE_MINIO") == "1" {
			tb.Fatal(msg + "; NASKAH_REQUIRE_MINIO=1 makes this a failure")
		}
		tb.Skip(msg)
	}
	dir := tb.TempDir()
	s := &Server{
		Endpoint:  freeAddr(tb),
		AccessKey: "naskahtest",
		SecretKey: "naskahtest-secret",
		tb:        tb,
		bin:       bin,
		dir:       filepath.Join(dir, "data"),
		console:   freeAddr(tb),
		logPath:   filepath.Join(dir, "minio.log"),
	}
	tb.Cleanup(s.Stop)
	s.start()
	return s
}

// Binary returns the path of the MinIO server binary, or "".
func Binary() string {
	if p := os.Getenv("NASKAH_MINIO_BIN"); p != "" {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, gp := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(gp, "bin", "minio")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	return ""
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (s *Server) start() {
	s.tb.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(s.bin, "server", s.dir, "--address", s.Endpoint, "--console-address", s.console, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start minio %s: %v", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// ready says the process serves; cluster says it can also write.
	for _, path := range []string{"/minio/health/ready", "/minio/health/cluster"} {
		for !s.healthy(ctx, path) {
			select {
			case <-exited:
				s.tb.Fatalf("minio exited before it was ready; log:\n%s", s.log())
			case <-ctx.Done():
				s.tb.Fatalf("minio not ready after 60s; log:\n%s", s.log())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (s *Server) healthy(ctx context.Context, path string) bool {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.Endpoint+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *Server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Stop kills the server and waits for it to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	// Wait is done by start's goroutine; wait for the port to close instead.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Endpoint, 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	s.tb.Logf("minio still accepting connections 10s after kill")
}

// Restart stops the server if it runs and starts it again with the same
// data directory and port.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}

// String returns the endpoint, for logs.
func (s *Server) String() string { return fmt.Sprintf("minio at %s", s.Endpoint) }
