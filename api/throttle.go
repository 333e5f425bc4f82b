package api

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Login throttling. Three counters, none of which lets an attacker lock
// the real user out:
//   - per client and account: after pairFree failures each further
//     attempt waits a delay that doubles (base, 2·base … max);
//   - per account, across clients: after accountFree failures the same
//     growing delay applies, but only to clients that have themselves
//     used up their pairFree allowance for that account, so the real user
//     with a typo or two (or the right password first) always gets in,
//     however many addresses an attacker fails from;
//   - per client, across accounts: LoginRate failures (a token bucket)
//     bound spraying one password over many accounts.
//
// Clients are grouped by clientGroup: an IPv6 host owns a whole /64, so
// the per-client limits count the /64, not each of its addresses.
//
// Attempts count as failures when they start (so parallel guesses cannot
// slip through while bcrypt runs) and are refunded when they succeed.
const (
	pairFree     = 5
	accountFree  = 20
	throttleBase = 30 * time.Second
	throttleMax  = 15 * time.Minute
	// throttleWindow forgets failures that stopped this long ago.
	throttleWindow = time.Hour
	throttleKeys   = 100000 // prune beyond this many keys (a spray of names)
)

type failures struct {
	n    int
	last time.Time
}

type throttle struct {
	now       func() time.Time
	perClient *limiter

	mu       sync.Mutex
	pairs    map[string]*failures // client "\x00" account
	accounts map[string]*failures
}

func newThrottle(rate RateLimit, now func() time.Time) *throttle {
	return &throttle{now: now, perClient: newLimiter(rate, now), pairs: map[string]*failures{}, accounts: map[string]*failures{}}
}

// backoff is the wait after n failures of which free are free.
func backoff(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := throttleBase
	for i := free; i < n && d < throttleMax; i++ {
		d *= 2
	}
	return min(d, throttleMax)
}

func (t *throttle) waitFor(f *failures, free int, now time.Time) time.Duration {
	if f == nil || now.Sub(f.last) >= throttleWindow {
		return 0
	}
	return f.last.Add(backoff(f.n, free)).Sub(now)
}

// begin returns how long the client must wait before trying this account
// again, or 0 after counting the attempt as a failure until succeed.
func (t *throttle) begin(client, account string) time.Duration {
	client = clientGroup(client)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.prune(now)
	key := client + "\x00" + account
	pair, acct := t.pairs[key], t.accounts[account]
	wait := t.waitFor(pair, pairFree, now)
	if pair != nil && pair.n >= pairFree && now.Sub(pair.last) < throttleWindow {
		wait = max(wait, t.waitFor(acct, accountFree, now))
	}
	if w := t.perClient.wait(client); w > wait {
		wait = w
	}
	if wait > 0 {
		return wait
	}
	t.perClient.take(client)
	count(t.pairs, key, now)
	count(t.accounts, account, now)
	return 0
}

func count(m map[string]*failures, k string, now time.Time) {
	f := m[k]
	if f == nil || now.Sub(f.last) >= throttleWindow {
		f = &failures{}
		m[k] = f
	}
	f.n++
	f.last = now
}

// succeed refunds an attempt begun for a right password: the client's
// failures for the account are forgotten.
func (t *throttle) succeed(client, account string) {
	client = clientGroup(client)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pairs, client+"\x00"+account)
	if f := t.accounts[account]; f != nil && f.n > 0 {
		f.n--
	}
	t.perClient.refund(client)
}

// clientGroup is the key the per-client limits count a client address
// under: an IPv4 address itself, the /64 of an IPv6 address (one host or
// site is routed a whole /64 and can pick any address in it). Anything
// that is not an address is its own key.
func clientGroup(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil {
		return client
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

func (t *throttle) prune(now time.Time) {
	for _, m := range []map[string]*failures{t.pairs, t.accounts} {
		if len(m) <= throttleKeys {
			continue
		}
		for k, f := range m {
			if now.Sub(f.last) >= throttleWindow {
				delete(m, k)
			}
		}
	}
}

// ClientIP is the request's client address: the peer's, or, when the peer
// is a configured trusted proxy, the nearest X-Forwarded-For entry that is
// not one. A client cannot choose its address by sending the header itself.
func (s *Server) ClientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.IP()
	}
	peer = peer.Unmap()
	if !s.trustedProxy(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(h), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: trust no further than the last good hop
		}
		client = a.Unmap()
		if !s.trustedProxy(client) {
			break
		}
	}
	return client.String()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads CIDRs or bare addresses (one host each).
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
