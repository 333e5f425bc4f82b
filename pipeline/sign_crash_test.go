package pipeline_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/storage/local"
)

// TestSignCrashChild is the process TestKilledWhileSigning kills: it signs
// agreements on the store in $NASKAH_CRASH_DIR until killed, printing
// "SIGNING <id>" before each signature and "ACK <id> <µs>" once the engine
// acknowledged it.
func TestSignCrashChild(t *testing.T) {
	dir := os.Getenv("NASKAH_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestKilledWhileSigning")
	}
	st, err := local.Open(local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, nil)
	fmt.Println("READY")
	for i := 0; ; i++ {
		a := toSigning(h, fmt.Sprintf("PKS Uji Mati %d", i))
		fmt.Println("SIGNING", a.ID)
		start := time.Now()
		if _, err := h.trySign(a.ID, "crash-"+a.ID); err != nil {
			t.Fatalf("sign: %v", err)
		}
		fmt.Println("ACK", a.ID, time.Since(start).Microseconds())
	}
}

// TestKilledWhileSigning kills a signing process with SIGKILL at random
// moments, eight times over one store. Afterwards every acknowledged
// signature is in its record and retained, and no signed version is
// retained without a record referencing it (retention after commit):
// fsck finds no error once -repair applied a retention the kill cut off.
func TestKilledWhileSigning(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	var acked []string
	kills := 0
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSignCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "NASKAH_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		want := 1 + rand.IntN(3) // acknowledgements before the kill
		got := 0
		signTime := 200 * time.Millisecond
		lines := make(chan string)
		go func() {
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		deadline := time.After(3 * time.Minute)
	read:
		for got < want {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if rest, ok := strings.CutPrefix(l, "ACK "); ok {
					var id string
					var us int64
					fmt.Sscan(rest, &id, &us)
					acked = append(acked, id)
					signTime = time.Duration(us) * time.Microsecond
					got++
				}
			case <-deadline:
				t.Fatalf("round %d: the child acknowledged %d signatures in 3 minutes", round, got)
			}
		}
		// Kill somewhere inside the next signature.
		for l := range lines {
			if strings.HasPrefix(l, "SIGNING ") {
				break
			}
		}
		time.Sleep(time.Duration(rand.Int64N(int64(signTime) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines {
			if rest, ok := strings.CutPrefix(l, "ACK "); ok {
				acked = append(acked, strings.Fields(rest)[0]) // printed before the kill landed
			}
		}
		cmd.Wait()
		if got < want {
			t.Fatalf("round %d: the child ended after %d acknowledgements", round, got)
		}
		kills++
	}

	st, err := local.Open(local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHarness(t, st, nil)
	h.e.Now = time.Now // retention dates are real ones
	ctx := context.Background()
	missing := 0
	for _, id := range acked {
		a, _, err := h.e.Load(ctx, id)
		if err != nil || a.Latest(naskah.DocSigned) == nil {
			missing++
			t.Errorf("acknowledged signature of %s is not in its record: %v", id, err)
			continue
		}
		mustBeRetained(t, st, a)
	}
	rep, err := h.e.FsckWith(ctx, pipeline.FsckOptions{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	warnings, repaired := 0, 0
	for _, f := range rep.Findings {
		switch f.Severity {
		case "error":
			t.Errorf("fsck after %d kills while signing: %s %s: %s", kills, f.AgreementID, f.Key, f.Problem)
		case "warning":
			warnings++
		case "repaired":
			repaired++
		}
	}
	t.Logf("%d SIGKILLs while signing: %d signatures acknowledged, %d acknowledged-but-missing; fsck: %d agreements, 0 errors, %d warnings (unretained leftovers of cut-off signatures), %d repaired",
		kills, len(acked), missing, rep.Agreements, warnings, repaired)
}
