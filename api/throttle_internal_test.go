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
	if w := th.begin("198.51.100.1", "bho"); w != 0 {
		t.Errorf("a client with one failure of its own waits %v for the account's", w)
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

// TestThrottleTypoDuringAttack (issue 14 review): an attacker fails from
// many addresses until the account is over its threshold; the real user
// from a new address makes a typo, then types the right password, and gets
// in; each further attacker failure from a fresh address changes nothing
// for that user.
func TestThrottleTypoDuringAttack(t *testing.T) {
	clk := &fakeClock{time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(RateLimit{Burst: 1000, Per: time.Minute}, clk.now)
	for i := range 25 {
		failN(th, fmt.Sprintf("198.51.100.%d", i), "unit", 1)
	}
	if w := th.begin("192.0.2.10", "unit"); w != 0 { // the typo
		t.Fatalf("the real user's first attempt waits %v", w)
	}
	failN(th, "198.51.100.200", "unit", 1)
	clk.add(time.Second)
	if w := th.begin("192.0.2.10", "unit"); w != 0 {
		t.Fatalf("the real user after one typo waits %v during an attack, want 0", w)
	}
	th.succeed("192.0.2.10", "unit")
	// A client that used up its own allowance still gets the account's delay.
	failN(th, "203.0.113.9", "unit", pairFree)
	if w := th.begin("203.0.113.9", "unit"); w <= backoff(pairFree, pairFree) {
		t.Errorf("an attacker past its allowance waits only %v, want the account's longer delay", w)
	}
}

// TestThrottleIPv6Prefix: the addresses of one IPv6 /64 share the
// per-client limits; another /64 does not.
func TestThrottleIPv6Prefix(t *testing.T) {
	clk := &fakeClock{time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(RateLimit{Burst: 1000, Per: time.Minute}, clk.now)
	for i := range pairFree {
		if w := th.begin(fmt.Sprintf("2001:db8:1:2::%x", i+1), "unit"); w != 0 {
			t.Fatalf("attempt %d: %v", i+1, w)
		}
	}
	if w := th.begin("2001:db8:1:2:ffff::9", "unit"); w <= 0 {
		t.Errorf("a new address in the same /64: no wait")
	}
	if w := th.begin("2001:db8:1:3::1", "unit"); w != 0 {
		t.Errorf("another /64 waits %v", w)
	}
}
