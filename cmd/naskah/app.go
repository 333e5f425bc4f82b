package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.yaml.in/yaml/v3"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/api/web"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
	"github.com/bpom/naskah/storage/minio"
)

// Main wires the service: storage, index, engine and HTTP server. Tests
// build one with a temp data dir and port 0 and drive it over HTTP.
type Main struct {
	Config Config
	Out    io.Writer // where first-run information (demo passwords) goes
	Logger *slog.Logger

	Store  storage.Store
	Index  search.Index
	Engine *pipeline.Engine
	Server *api.Server
	Addr   string // the address actually listened on

	MetricsAddr string // the metrics listener's address, when metrics_listen is set
	// FromScratch moves the embedded index aside and rebuilds it
	// (naskah reindex --from-scratch).
	FromScratch bool
	// ReadOnly opens the embedded store as a read-only snapshot and no
	// index (naskah fsck beside a running serve).
	ReadOnly bool

	ln      net.Listener
	msrv    *http.Server
	cancel  context.CancelFunc
	done    chan struct{}
	guard   *search.Guard   // m.Index: the index failing soft
	rebuild bool            // the embedded index was (re)created: fill it from storage
	wctx    context.Context // the workers' context, once running
	workers sync.WaitGroup  // background rebuilds
}

// Open opens storage, the index and the engine (what every command needs).
func (m *Main) Open(ctx context.Context) error {
	c := &m.Config
	if m.Logger == nil {
		m.Logger = newLogger(c.LogLevel, os.Stderr)
	}
	if m.Out == nil {
		m.Out = os.Stdout
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory %s: %w (choose a writable NASKAH_DATA_DIR)", c.DataDir, err)
	}
	// Assign only on success: a nil *local.Store in the interface would
	// not compare equal to nil in Close.
	var err error
	if c.MinIO.Endpoint != "" {
		var st *minio.Store
		if st, err = minio.New(ctx, minio.Config{Endpoint: c.MinIO.Endpoint, AccessKey: c.MinIO.AccessKey, SecretKey: c.MinIO.SecretKey,
			Bucket: c.MinIO.Bucket, UseSSL: c.MinIO.UseSSL, Region: c.MinIO.Region}); err == nil {
			m.Store = st
		}
	} else {
		var st *local.Store
		if st, err = local.Open(local.Config{Dir: c.path("store"), ReadOnly: m.ReadOnly}); err == nil {
			m.Store = st
		}
	}
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if !m.ReadOnly {
		idx, err := m.openIndex(ctx)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		m.guard = m.guardIndex(idx)
		m.Index = m.guard
	}
	cal, err := loadCalendar(c)
	if err != nil {
		return err
	}
	ecfg := pipeline.DefaultConfig()
	ecfg.Limits = pdf.Limits{MaxBytes: int64(c.MaxUploadMB) << 20, MaxPages: c.MaxPages}
	ecfg.VerifyURL = strings.TrimRight(c.BaseURL, "/") + "/verify"
	ecfg.ArchivePeriod = time.Duration(c.ArchiveYears) * 365 * 24 * time.Hour
	ecfg.ExpiryWindow = time.Duration(c.ExpiryWindowDays) * 24 * time.Hour
	ecfg.TSAURL = c.TSAURL
	ecfg.SpecimenDir = c.SpecimenDir
	m.Engine = pipeline.New(m.Store, m.Index, ecfg)
	m.Engine.Calendar, m.Engine.Logger = cal, m.Logger
	if c.TrustRoots != "" {
		if err := m.addRoots(c.TrustRoots); err != nil {
			return err
		}
	}
	if c.PKCS11.Enabled() {
		tokens, err := pkcs11.New(c.PKCS11)
		if err != nil {
			return err
		}
		m.Engine.Tokens = tokens
	}
	if c.PartnerTrustRoots != "" {
		if m.Engine.PartnerRoots, err = loadRoots(c.PartnerTrustRoots, "partner trust roots", "NASKAH_PARTNER_TRUST_ROOTS"); err != nil {
			return err
		}
	}
	if w := cal.Warning(time.Now(), time.Now().AddDate(0, 6, 0)); w != "" {
		m.Logger.Warn("working-day calendar incomplete", "warning", w)
	}
	return nil
}

func (m *Main) addRoots(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("trust roots: %w (set NASKAH_TRUST_ROOTS to a PEM file)", err)
	}
	pool, err := pdf.LoadRoots(data)
	if err != nil {
		return fmt.Errorf("trust roots %s: %w", file, err)
	}
	m.Engine.Roots = pool
	return nil
}

func loadRoots(file, what, env string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (set %s to a PEM file)", what, err, env)
	}
	pool, err := pdf.LoadRoots(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, file, err)
	}
	return pool, nil
}

func (m *Main) openIndex(ctx context.Context) (search.Index, error) {
	c := &m.Config
	if c.Meili.URL != "" {
		return openMeili(ctx, c)
	}
	idx, rebuild, err := openBleve(c.path("index"), m.FromScratch, m.Logger)
	if err != nil {
		return nil, err
	}
	m.rebuild = rebuild
	return idx, nil
}

func loadCalendar(c *Config) (*naskah.Calendar, error) {
	cal := naskah.DefaultCalendar()
	if c.CalendarFile != "" {
		data, err := os.ReadFile(c.CalendarFile)
		if err != nil {
			return nil, fmt.Errorf("calendar file: %w", err)
		}
		if err := cal.Merge(data); err != nil {
			return nil, fmt.Errorf("calendar file %s: %w", c.CalendarFile, err)
		}
	}
	for _, d := range c.ExtraDays {
		f := strings.Fields(d)
		if err := cal.AddDay(f[0], strings.Join(f[1:], " ")); err != nil {
			return nil, err
		}
	}
	return cal, nil
}

// Run starts the HTTP server and the outbox worker, and returns once the
// server listens; Close stops both.
func (m *Main) Run(ctx context.Context) error {
	if m.Engine == nil {
		if err := m.Open(ctx); err != nil {
			return err
		}
	}
	c := &m.Config
	acfg := api.DefaultConfig()
	acfg.PublicBaseURL = c.BaseURL
	acfg.MaxUploadBytes = int64(c.MaxUploadMB) << 20
	acfg.Logger = m.Logger
	acfg.MetricsToken = c.MetricsToken
	proxies, err := api.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return err
	}
	acfg.TrustedProxies = proxies
	if d, err := time.ParseDuration(c.SessionIdle); err == nil {
		acfg.SessionIdle = d
	}
	if d, err := time.ParseDuration(c.SessionTTL); err == nil && d > 0 {
		acfg.SessionTTL = d
	}
	users, err := m.users(ctx)
	if err != nil {
		return err
	}
	acfg.Users = users
	if err := checkTokenUsers(c.PKCS11.Keys, users); err != nil {
		return err
	}
	acfg.SessionSecret, err = m.sessionSecret()
	if err != nil {
		return err
	}
	acfg.ReadyChecks = m.readyChecks()
	acfg.Mount = func(s *api.Server, r fiber.Router) {
		accounts := make([]naskah.Actor, len(users))
		for i, u := range users {
			accounts[i] = u.Actor()
		}
		web.New(web.Deps{Engine: m.Engine, Auth: s.WebAuth(), BaseURL: c.BaseURL, Logger: m.Logger, Users: accounts, ClientIP: s.ClientIP, Heavy: s.AcquireHeavy,
			MaxUploadBytes: acfg.MaxUploadBytes}).Register(r)
	}
	m.Server, err = api.New(m.Engine, acfg)
	if err != nil {
		return err
	}
	m.ln, err = net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set NASKAH_LISTEN to a free address)", c.Listen, err)
	}
	m.Addr = m.ln.Addr().String()
	if err := m.serveMetrics(); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel, m.done, m.wctx = cancel, make(chan struct{}), wctx
	go func() { defer close(m.done); m.Engine.RunOutbox(wctx) }()
	if m.rebuild {
		m.startRebuild(wctx)
	}
	go func() {
		if err := m.Server.Listen(m.ln); err != nil {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	m.Logger.Info("naskah is serving", "addr", "http://"+m.Addr, "data_dir", c.DataDir, "storage", storageName(c), "index", indexName(c))
	return nil
}

// serveMetrics serves /metrics on metrics_listen, when set: an address
// only the monitoring network reaches, so no token is asked there.
func (m *Main) serveMetrics() error {
	if m.Config.MetricsListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetricsListen)
	if err != nil {
		return fmt.Errorf("listen on %s for metrics: %w (set NASKAH_METRICS_LISTEN to a free address)", m.Config.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Server.MetricsHandler())
	m.MetricsAddr = ln.Addr().String()
	m.msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.msrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// users comes from the users file or, on a data dir with none, the demo set
// (created once, passwords printed once).
func (m *Main) users(ctx context.Context) ([]api.User, error) {
	c := &m.Config
	if c.UsersFile != "" {
		data, err := os.ReadFile(c.UsersFile)
		if err != nil {
			return nil, fmt.Errorf("users file: %w", err)
		}
		var us []api.User
		if err := yaml.Unmarshal(data, &us); err != nil {
			return nil, fmt.Errorf("users file %s: %v", c.UsersFile, err)
		}
		return us, nil
	}
	if !c.Demo {
		return nil, errors.New("no users: set NASKAH_USERS_FILE, or NASKAH_DEMO=true for demo users")
	}
	demo, err := api.EnsureDemo(c.path("demo"), time.Now(), m.Out)
	if err != nil {
		return nil, err
	}
	if c.TrustRoots == "" && demo.CACert != "" {
		if err := m.addRoots(demo.CACert); err != nil {
			return nil, err
		}
	}
	// The demo partner's keystore comes from the development CA too.
	if c.PartnerTrustRoots == "" && demo.CACert != "" {
		if m.Engine.PartnerRoots, err = loadRoots(demo.CACert, "partner trust roots", "NASKAH_PARTNER_TRUST_ROOTS"); err != nil {
			return nil, err
		}
	}
	if err := demo.RegisterCertificates(ctx, m.Engine); err != nil {
		return nil, err
	}
	for _, u := range demo.Users {
		if u.Keystore != "" && u.Certificate == "" { // a data dir from before certificates were bound
			m.Logger.Warn("demo keystore has no registered certificate: it cannot sign until registered",
				"user", u.User.Username, "fix", "naskah users cert add --user "+u.User.Username+" --cert <its certificate>")
		}
	}
	us := make([]api.User, len(demo.Users))
	for i, d := range demo.Users {
		us[i] = d.User
	}
	return us, nil
}

// checkTokenUsers refuses a token key mapped to no user: a typo would
// otherwise wait for whoever is later created under that name.
func checkTokenUsers(keys []pkcs11.Key, users []api.User) error {
	var ps []string
	for _, k := range keys {
		if !slices.ContainsFunc(users, func(u api.User) bool { return u.Username == k.User }) {
			ps = append(ps, fmt.Sprintf("pkcs11.keys: user %q is not a Naskah user: correct the name or add the user to the users file", k.User))
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("configuration: %s", strings.Join(ps, "; "))
	}
	return nil
}

// sessionSecret is NASKAH_SESSION_SECRET or a random one kept in the data
// dir (so sessions survive a restart of a single server).
func (m *Main) sessionSecret() ([]byte, error) {
	if s := m.Config.SessionSecret; s != "" {
		if len(s) < 32 {
			return nil, errors.New("NASKAH_SESSION_SECRET must be at least 32 characters")
		}
		return []byte(s), nil
	}
	f := m.Config.path("session.key")
	if b, err := os.ReadFile(f); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if err := os.WriteFile(f, b, 0o600); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return b, nil
}

// Close stops the server and the worker and closes the backends.
func (m *Main) Close() error {
	var errs []error
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.Server.Shutdown(ctx))
		if m.msrv != nil {
			errs = append(errs, m.msrv.Shutdown(ctx))
		}
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
		<-m.done
		m.workers.Wait()
	}
	if m.Index != nil {
		errs = append(errs, m.Index.Close())
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

func storageName(c *Config) string {
	if c.MinIO.Endpoint != "" {
		return "minio " + c.MinIO.Endpoint + "/" + c.MinIO.Bucket
	}
	return "local " + filepath.Join(c.DataDir, "store")
}

func indexName(c *Config) string {
	if c.Meili.URL != "" {
		return "meilisearch " + c.Meili.URL
	}
	return "bleve " + filepath.Join(c.DataDir, "index")
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
