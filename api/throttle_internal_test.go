package api

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func failN(t *throttle, client, acct string, n int) (refused int) {
	for range n {
		if t.begin(client, acct) > 0 {
			refused++
		}
	}
	return refused
}

// TestThrottleNoLockout: an attacker's failures delay the attacker with
// growing waits, and never the real user on another client.
func TestThrottleNoLockout(t *testing.T) {
	clk := &fakeClock{time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(RateLimit{Burst: 1000, Per: time.Minute}, clk.now)
	if r := failN(th, "203.0.113.9", "bho", pairFree); r != 0 {
		t.Fatalf("%d of the first %d failures refused, want 0", r, pairFree)
	}
	w1 := th.begin("203.0.113.9", "bho")
	if w1 <= 0 {
		t.Fatalf("attempt %d: no wait", pairFree+1)
	}
	clk.add(w1)
	if w := th.begin("203.0.113.9", "bho"); w != 0 {
		t.Fatalf("after waiting %v: still %v", w1, w)
	}
	w2 := th.begin("203.0.113.9", "bho")
	if w2 <= w1 {
		t.Errorf("delays do not grow: %v then %v", w1, w2)
	}
	// Many attacker addresses push the account over its own threshold.
	for i := range accountFree {
		failN(th, fmt.Sprintf("198.51.100.%d", i), "bho", 1)
	}
	if w := th.begin("198.51.100.1", "bho"); w <= 0 {
		t.Errorf("a failing client of an attacked account: no wait")
	}
	// The real user, on a client that has not failed, gets in.
	if w := th.begin("192.0.2.10", "bho"); w != 0 {
		t.Fatalf("the real user was locked out for %v", w)
	}
	th.succeed("192.0.2.10", "bho")
	// A quiet hour forgets everything.
	clk.add(throttleWindow)
	if w := th.begin("203.0.113.9", "bho"); w != 0 {
		t.Errorf("after the window: %v", w)
	}
}

// TestThrottleSpray: one client trying many accounts is bounded by the
// per-client budget; a success refunds its attempt.
func TestThrottleSpray(t *testing.T) {
	clk := &fakeClock{time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(RateLimit{Burst: 20, Per: 10 * time.Minute}, clk.now)
	for i := range 20 {
		if w := th.begin("203.0.113.9", fmt.Sprintf("user%d", i)); w != 0 {
			t.Fatalf("attempt %d refused (%v) within the budget", i+1, w)
		}
	}
	if w := th.begin("203.0.113.9", "user99"); w <= 0 {
		t.Fatalf("attempt 21 across accounts: no wait")
	}
	if w := th.begin("192.0.2.10", "user99"); w != 0 {
		t.Fatalf("another client is limited by the sprayer's budget: %v", w)
	}
	th.succeed("192.0.2.10", "user99")
	for range 30 { // logins that succeed cost nothing
		if w := th.begin("192.0.2.10", "user99"); w != 0 {
			t.Fatalf("successful logins are throttled: %v", w)
		}
		th.succeed("192.0.2.10", "user99")
	}
}

func TestBackoff(t *testing.T) {
	if backoff(pairFree-1, pairFree) != 0 || backoff(pairFree, pairFree) != throttleBase || backoff(pairFree+1, pairFree) != 2*throttleBase || backoff(1000, pairFree) != throttleMax {
		t.Errorf("backoff: %v %v %v %v", backoff(pairFree-1, pairFree), backoff(pairFree, pairFree), backoff(pairFree+1, pairFree), backoff(1000, pairFree))
	}
}
