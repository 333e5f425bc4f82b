package pipeline

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// The pace is a floor on the time taken, shared by concurrent readers
// (only a lower bound is checked: a slow machine only reads slower).
func TestByteRatePaces(t *testing.T) {
	b := newByteRate(2) // 2 MB/s
	start := time.Now()
	done := make(chan int64, 2)
	for range 2 {
		go func() {
			n, _ := io.Copy(io.Discard, b.reader(context.Background(), bytes.NewReader(make([]byte, 1_500_000))))
			done <- n
		}()
	}
	total := <-done + <-done
	took := time.Since(start)
	if total != 3_000_000 || took < time.Second {
		t.Fatalf("read %d bytes in %v at 2 MB/s, want 3 MB in at least 1 s (1.5 s expected)", total, took)
	}
	t.Logf("3 MB at -rate 2: %v", took.Round(10*time.Millisecond))
	if newByteRate(0) != nil {
		t.Fatal("rate 0 paces")
	}
}
