package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
)

// Config is Naskah's one typed configuration: DefaultConfig, then a YAML
// file, then NASKAH_* environment variables. Secrets come only from the
// environment (a YAML file that names one is refused).
type Config struct {
	DataDir string `yaml:"data_dir"` // local storage, bleve index, demo keys
	Listen  string `yaml:"listen"`   // host:port of the HTTP server
	BaseURL string `yaml:"base_url"` // public URL, used in QR codes on signed texts

	MinIO struct {
		Endpoint  string `yaml:"endpoint"` // host:port; empty = local storage under data_dir
		Bucket    string `yaml:"bucket"`
		UseSSL    bool   `yaml:"use_ssl"`
		Region    string `yaml:"region"`
		AccessKey string `yaml:"-"` // NASKAH_MINIO_ACCESS_KEY
		SecretKey string `yaml:"-"` // NASKAH_MINIO_SECRET_KEY
	} `yaml:"minio"`

	Meili struct {
		URL   string `yaml:"url"` // empty = embedded bleve index under data_dir
		Index string `yaml:"index"`
		Key   string `yaml:"-"` // NASKAH_MEILI_KEY
	} `yaml:"meili"`

	// PKCS11 maps officials to signing keys on tokens (HSM, smart card):
	// the module from here or NASKAH_PKCS11_MODULE, the keys only from the file.
	PKCS11 pkcs11.Config `yaml:"pkcs11"`

	MaxUploadMB      int      `yaml:"max_upload_mb"`
	MaxPages         int      `yaml:"max_pages"`
	ArchiveYears     int      `yaml:"archive_years"`      // retention of signed originals and CTCs
	ExpiryWindowDays int      `yaml:"expiry_window_days"` // agreements expiring within it are listed
	TSAURL           string   `yaml:"tsa_url"`            // RFC 3161 timestamp authority (optional)
	TrustRoots       string   `yaml:"trust_roots"`        // PEM file of CA certificates trusted for signatures
	CalendarFile     string   `yaml:"calendar_file"`      // extra/override holiday data (same JSON shape as the shipped file)
	ExtraDays        []string `yaml:"extra_days"`         // "YYYY-MM-DD name" non-working days
	UsersFile        string   `yaml:"users_file"`         // YAML list of users; empty = demo users on a fresh data dir
	SpecimenDir      string   `yaml:"specimen_dir"`       // <username>.png or .jpg: an official's signature or seal in the visible signature box
	Demo             bool     `yaml:"demo"`               // create demo users and keys on a fresh data dir
	SessionSecret    string   `yaml:"-"`                  // NASKAH_SESSION_SECRET
	MetricsToken     string   `yaml:"-"`                  // NASKAH_METRICS_TOKEN: bearer token of /metrics on the main listener
	MetricsListen    string   `yaml:"metrics_listen"`     // host:port serving /metrics without a token (monitoring network only)
	TrustedProxies   []string `yaml:"trusted_proxies"`    // CIDRs of reverse proxies whose X-Forwarded-For is believed
	SessionIdle      string   `yaml:"session_idle"`       // Go duration; a session unused this long ends ("0" = never)
	SessionTTL       string   `yaml:"session_ttl"`        // Go duration; a session ends this long after login
	LogLevel         string   `yaml:"log_level"`

	// PartnerTrustRoots is the partner trust list: a PEM file of CAs trusted
	// for partners' countersignatures made outside Naskah (not BPOM's roots).
	PartnerTrustRoots string `yaml:"partner_trust_roots"`
	MinFreeMB         int    `yaml:"min_free_mb"` // /readyz fails below this much free disk under data_dir (0: no check)
	Replica           string `yaml:"replica"`     // this replica's name in health/<replica>.json (default host-pid)
}

// DefaultConfig is what `naskah serve` runs with when nothing is set.
func DefaultConfig() Config {
	var c Config
	c.DataDir = "naskah-data"
	c.Listen = "127.0.0.1:8080"
	c.BaseURL = "http://localhost:8080"
	c.MinIO.Bucket = "naskah"
	c.Meili.Index = "naskah"
	c.MaxUploadMB = 50
	c.MaxPages = 2000
	c.ArchiveYears = 10
	c.ExpiryWindowDays = 183
	c.Demo = true
	c.LogLevel = "info"
	c.SessionIdle, c.SessionTTL = "2h", "12h"
	c.MinFreeMB = 512
	return c
}

// LoadConfig applies the file (if path is not empty) and the environment.
func LoadConfig(path string, env func(string) string) (Config, error) {
	c := DefaultConfig()
	if path == "" {
		path = env("NASKAH_CONFIG")
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, errEOF) && err.Error() != "EOF" {
			return c, fmt.Errorf("config file %s: %v (check the setting names in the README)", path, err)
		}
	}
	if err := c.applyEnv(env); err != nil {
		return c, err
	}
	return c, c.Validate()
}

var errEOF = errors.New("EOF")

// envVars documents every variable; README's table is made from the same names.
var envVars = []struct{ name, help string }{
	{"NASKAH_CONFIG", "path of the YAML config file"},
	{"NASKAH_DATA_DIR", "data directory (local storage, bleve index, demo keys)"},
	{"NASKAH_LISTEN", "HTTP listen address"},
	{"NASKAH_BASE_URL", "public base URL (QR codes, links)"},
	{"NASKAH_MINIO_ENDPOINT", "MinIO/S3 host:port; empty = local storage"},
	{"NASKAH_MINIO_BUCKET", "bucket (versioning + object lock)"},
	{"NASKAH_MINIO_USE_SSL", "true to use HTTPS to MinIO"},
	{"NASKAH_MINIO_REGION", "bucket region"},
	{"NASKAH_MINIO_ACCESS_KEY", "MinIO access key (secret)"},
	{"NASKAH_MINIO_SECRET_KEY", "MinIO secret key (secret)"},
	{"NASKAH_MEILI_URL", "Meilisearch URL; empty = embedded bleve"},
	{"NASKAH_MEILI_INDEX", "Meilisearch index name"},
	{"NASKAH_MEILI_KEY", "Meilisearch API key (secret)"},
	{"NASKAH_MAX_UPLOAD_MB", "largest accepted upload in MB"},
	{"NASKAH_MAX_PAGES", "most pages accepted in a PDF"},
	{"NASKAH_ARCHIVE_YEARS", "retention of signed texts and CTCs, in years"},
	{"NASKAH_EXPIRY_WINDOW_DAYS", "list agreements expiring within this many days"},
	{"NASKAH_TSA_URL", "RFC 3161 timestamp authority URL"},
	{"NASKAH_TRUST_ROOTS", "PEM file of trusted CA certificates"},
	{"NASKAH_PKCS11_MODULE", "PKCS#11 library (.so) of the officials' signing tokens"},
	{"NASKAH_PARTNER_TRUST_ROOTS", "PEM file of the partner trust list (CAs of partners' countersignatures)"},
	{"NASKAH_CALENDAR_FILE", "holiday data file that extends/overrides the shipped calendar"},
	{"NASKAH_EXTRA_DAYS", "comma-separated extra non-working days, YYYY-MM-DD"},
	{"NASKAH_USERS_FILE", "YAML file of users"},
	{"NASKAH_DEMO", "create demo users and keys on a fresh data dir (true/false)"},
	{"NASKAH_SESSION_SECRET", "secret for session cookies (secret)"},
	{"NASKAH_LOG_LEVEL", "debug, info, warn or error"},
	{"NASKAH_METRICS_TOKEN", "bearer token for /metrics on the main listener (secret)"},
	{"NASKAH_METRICS_LISTEN", "separate host:port for /metrics without a token"},
	{"NASKAH_SESSION_IDLE", "idle timeout of a login session, e.g. 2h (0 = none)"},
	{"NASKAH_SESSION_TTL", "absolute lifetime of a login session, e.g. 12h"},
	{"NASKAH_TRUSTED_PROXIES", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed"},
	{"NASKAH_MIN_FREE_MB", "not ready below this much free disk under the data dir, in MB (0: no check)"},
	{"NASKAH_REPLICA", "this replica's name in the store's readiness probe health/<replica>.json (default host-pid)"},
}

func (c *Config) applyEnv(env func(string) string) error {
	str := func(name string, dst *string) {
		if v := env(name); v != "" {
			*dst = v
		}
	}
	var err error
	num := func(name string, dst *int) {
		if v := env(name); v != "" {
			n, e := strconv.Atoi(v)
			if e != nil && err == nil {
				err = fmt.Errorf("%s=%q is not a whole number", name, v)
			}
			*dst = n
		}
	}
	boolean := func(name string, dst *bool) {
		if v := env(name); v != "" {
			b, e := strconv.ParseBool(v)
			if e != nil && err == nil {
				err = fmt.Errorf("%s=%q: use true or false", name, v)
			}
			*dst = b
		}
	}
	str("NASKAH_DATA_DIR", &c.DataDir)
	str("NASKAH_LISTEN", &c.Listen)
	str("NASKAH_BASE_URL", &c.BaseURL)
	str("NASKAH_MINIO_ENDPOINT", &c.MinIO.Endpoint)
	str("NASKAH_MINIO_BUCKET", &c.MinIO.Bucket)
	boolean("NASKAH_MINIO_USE_SSL", &c.MinIO.UseSSL)
	str("NASKAH_MINIO_REGION", &c.MinIO.Region)
	str("NASKAH_MINIO_ACCESS_KEY", &c.MinIO.AccessKey)
	str("NASKAH_MINIO_SECRET_KEY", &c.MinIO.SecretKey)
	str("NASKAH_MEILI_URL", &c.Meili.URL)
	str("NASKAH_MEILI_INDEX", &c.Meili.Index)
	str("NASKAH_MEILI_KEY", &c.Meili.Key)
	num("NASKAH_MAX_UPLOAD_MB", &c.MaxUploadMB)
	num("NASKAH_MAX_PAGES", &c.MaxPages)
	num("NASKAH_ARCHIVE_YEARS", &c.ArchiveYears)
	num("NASKAH_EXPIRY_WINDOW_DAYS", &c.ExpiryWindowDays)
	str("NASKAH_TSA_URL", &c.TSAURL)
	str("NASKAH_TRUST_ROOTS", &c.TrustRoots)
	str("NASKAH_PKCS11_MODULE", &c.PKCS11.Module)
	str("NASKAH_PARTNER_TRUST_ROOTS", &c.PartnerTrustRoots)
	str("NASKAH_CALENDAR_FILE", &c.CalendarFile)
	if v := env("NASKAH_EXTRA_DAYS"); v != "" {
		c.ExtraDays = strings.Split(v, ",")
	}
	str("NASKAH_USERS_FILE", &c.UsersFile)
	str("NASKAH_SPECIMEN_DIR", &c.SpecimenDir)
	boolean("NASKAH_DEMO", &c.Demo)
	str("NASKAH_SESSION_SECRET", &c.SessionSecret)
	str("NASKAH_LOG_LEVEL", &c.LogLevel)
	str("NASKAH_METRICS_TOKEN", &c.MetricsToken)
	str("NASKAH_METRICS_LISTEN", &c.MetricsListen)
	str("NASKAH_SESSION_IDLE", &c.SessionIdle)
	str("NASKAH_SESSION_TTL", &c.SessionTTL)
	if v := env("NASKAH_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = strings.Split(v, ",")
	}
	num("NASKAH_MIN_FREE_MB", &c.MinFreeMB)
	str("NASKAH_REPLICA", &c.Replica)
	return err
}

// Validate returns every problem at once, each with what to do.
func (c *Config) Validate() error {
	var ps []string
	if c.DataDir == "" {
		ps = append(ps, "data_dir is empty: set NASKAH_DATA_DIR")
	}
	if c.Listen == "" {
		ps = append(ps, "listen is empty: set NASKAH_LISTEN, e.g. 127.0.0.1:8080")
	}
	if c.MinIO.Endpoint != "" && (c.MinIO.AccessKey == "" || c.MinIO.SecretKey == "") {
		ps = append(ps, "minio.endpoint is set but the credentials are not: set NASKAH_MINIO_ACCESS_KEY and NASKAH_MINIO_SECRET_KEY")
	}
	if c.MinIO.Endpoint != "" && c.MinIO.Bucket == "" {
		ps = append(ps, "minio.bucket is empty")
	}
	if c.MaxUploadMB <= 0 || c.MaxUploadMB > 2048 {
		ps = append(ps, fmt.Sprintf("max_upload_mb=%d: use 1 to 2048", c.MaxUploadMB))
	}
	if c.MaxPages <= 0 {
		ps = append(ps, "max_pages must be positive")
	}
	if c.ArchiveYears < 0 || c.ArchiveYears > 100 {
		ps = append(ps, fmt.Sprintf("archive_years=%d: use 0 to 100", c.ArchiveYears))
	}
	for _, d := range c.ExtraDays {
		if _, err := time.Parse("2006-01-02", strings.Fields(d + " x")[0]); err != nil {
			ps = append(ps, fmt.Sprintf("extra day %q: start it with a date YYYY-MM-DD", d))
		}
	}
	if c.MinFreeMB < 0 {
		ps = append(ps, fmt.Sprintf("min_free_mb=%d: use 0 (no check) or more", c.MinFreeMB))
	}
	if c.Replica != "" && !validReplica(c.Replica) {
		ps = append(ps, fmt.Sprintf("replica %q: use letters, digits, '-', '_' or '.'", c.Replica))
	}
	ps = append(ps, c.PKCS11.Problems()...)
	if c.MetricsToken != "" && len(c.MetricsToken) < 20 {
		ps = append(ps, "NASKAH_METRICS_TOKEN is shorter than 20 characters: use a long random token")
	}
	if c.MetricsListen != "" && c.MetricsListen == c.Listen {
		ps = append(ps, "metrics_listen equals listen: give metrics their own address, or leave it empty and set NASKAH_METRICS_TOKEN")
	}
	for name, v := range map[string]string{"session_idle": c.SessionIdle, "session_ttl": c.SessionTTL} {
		if d, err := time.ParseDuration(v); v != "" && (err != nil || d < 0 || name == "session_ttl" && d == 0) {
			ps = append(ps, fmt.Sprintf("%s=%q: use a duration such as 2h or 30m", name, v))
		}
	}
	if _, err := api.ParseTrustedProxies(c.TrustedProxies); err != nil {
		ps = append(ps, fmt.Sprintf("trusted_proxies: %v: use CIDRs such as 10.0.0.0/8 or single addresses", err))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		ps = append(ps, fmt.Sprintf("log_level %q: use debug, info, warn or error", c.LogLevel))
	}
	if len(ps) > 0 {
		return fmt.Errorf("configuration: %s", strings.Join(ps, "; "))
	}
	return nil
}

func (c *Config) path(elem ...string) string {
	return filepath.Join(append([]string{c.DataDir}, elem...)...)
}

func validReplica(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return len(s) <= 100
}
