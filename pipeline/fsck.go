package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// Finding is one problem (or note) fsck found.
type Finding struct {
	AgreementID string `json:"agreement_id,omitempty"`
	Key         string `json:"key,omitempty"`
	Severity    string `json:"severity"` // "error", "warning" or "repaired" (an error fsck -repair fixed)
	Problem     string `json:"problem"`
}

// FsckReport is what fsck found.
type FsckReport struct {
	Agreements int       `json:"agreements"`
	Versions   int       `json:"versions"`
	Pending    int       `json:"pending_index_updates"`
	Findings   []Finding `json:"findings"`
	DeepBytes  int64     `json:"deep_bytes,omitempty"` // bytes a deep check read
}

// Clean reports whether fsck found no errors (warnings allowed).
func (r *FsckReport) Clean() bool {
	for _, f := range r.Findings {
		if f.Severity == "error" {
			return false
		}
	}
	return true
}

// FsckOptions configure a check.
type FsckOptions struct {
	// Repair applies what can be applied safely: retention a committed
	// signed text or CTC should have and does not (retention is applied
	// after the commit, and that step can fail).
	Repair bool
	// Deep reads every referenced version in full and checks its SHA-256
	// (bit rot, damaged shards), not only the stored metadata.
	Deep bool
	// Progress, if set, is called after each version a deep check read.
	Progress func(done, total int)
	// RateMBps bounds a deep check's reading (MB per second, all workers
	// together), so that it can run beside a busy service; 0: no bound.
	RateMBps float64
}

// Fsck checks every record against storage: each referenced version exists
// with its SHA-256 and, for signed texts and CTCs, its retention; the audit
// chain verifies; the step is a possible one. Versions no record references
// (a failed action's leftovers) are warnings, or errors when retained:
// those can never be removed before their date.
func (e *Engine) Fsck(ctx context.Context) (*FsckReport, error) {
	return e.FsckWith(ctx, FsckOptions{})
}

// FsckWith is Fsck with options.
func (e *Engine) FsckWith(ctx context.Context, opts FsckOptions) (*FsckReport, error) {
	ids, err := e.recordIDs(ctx)
	if err != nil {
		return nil, err
	}
	rep := &FsckReport{Findings: []Finding{}}
	add := func(id, key, sev, format string, args ...any) {
		rep.Findings = append(rep.Findings, Finding{id, key, sev, fmt.Sprintf(format, args...)})
	}
	var deep []deepJob
	for _, id := range ids {
		a, _, err := e.Load(ctx, id)
		if err != nil {
			if naskah.ErrorCode(err) == naskah.EUNAVAILABLE {
				return nil, err
			}
			add(id, naskah.RecordKey(id), "error", "record cannot be read: %v", err)
			continue
		}
		rep.Agreements++
		var ae *naskah.AuditError
		if err := naskah.VerifyAudit(a.Audit); errors.As(err, &ae) {
			add(id, "", "error", "%v", err)
		}
		e.checkState(a, func(format string, args ...any) { add(id, "", "error", format, args...) })
		referenced := map[string]bool{}
		for i := range a.Documents {
			d := &a.Documents[i]
			rep.Versions++
			referenced[d.Key+"\x00"+d.VersionID] = true
			info, err := e.Store.Stat(ctx, d.Key, storage.GetOptions{VersionID: d.VersionID})
			if err != nil {
				if naskah.ErrorCode(err) == naskah.EUNAVAILABLE {
					return nil, err
				}
				add(id, d.Key, "error", "%s v%d (storage version %s) is missing: %v", d.Kind, d.Version, d.VersionID, err)
				continue
			}
			if opts.Deep {
				deep = append(deep, deepJob{id, *d})
			}
			sum := info.SHA256
			if sum == "" {
				data, err := e.readVersion(ctx, d)
				if err != nil {
					add(id, d.Key, "error", "%s v%d cannot be read: %v", d.Kind, d.Version, err)
					continue
				}
				sum = sha256Hex(data)
			}
			if sum != d.SHA256 {
				add(id, d.Key, "error", "%s v%d: stored SHA-256 %s, record says %s", d.Kind, d.Version, sum, d.SHA256)
			}
			if until, ok := e.wantRetention(d); ok && info.RetainUntil.Before(until) {
				sev, fix := "error", "jalankan naskah fsck -repair — run naskah fsck -repair"
				if opts.Repair {
					if err := e.Store.Retain(ctx, d.Key, d.VersionID, until); err != nil {
						fix = fmt.Sprintf("perbaikan gagal — repair failed: %v", err)
					} else {
						sev, fix = "repaired", "retensi diterapkan — retention applied"
					}
				}
				add(id, d.Key, sev, "%s v%d (versi penyimpanan %s) belum diretensi sampai %s: %s — %s v%d (storage version %s) is not retained until %s",
					d.Kind, d.Version, d.VersionID, until.Format("2006-01-02"), fix, d.Kind, d.Version, d.VersionID, until.Format("2006-01-02"))
			}
		}
		// Versions stored by actions that never committed.
		keys := map[string]bool{}
		for _, d := range a.Documents {
			keys[d.Key] = true
		}
		var docKeys []string
		for _, k := range naskah.DocumentKinds() {
			docKeys = append(docKeys, naskah.DocumentKey(a.ID, k))
		}
		docKeys = append(docKeys, strings.TrimSuffix(naskah.DocumentKey(a.ID, naskah.DocMonevMatrix), ".pdf")+".xlsx")
		for _, key := range docKeys {
			vs, err := e.Store.ListVersions(ctx, key)
			if err != nil {
				continue
			}
			for _, v := range vs {
				if v.DeleteMarker || referenced[key+"\x00"+v.VersionID] {
					continue
				}
				if v.RetainUntil.IsZero() {
					// Listings may omit retention (S3 does): ask the version.
					if info, err := e.Store.Stat(ctx, key, storage.GetOptions{VersionID: v.VersionID}); err == nil {
						v.RetainUntil = info.RetainUntil
					}
				}
				if v.Retained(e.Now()) {
					add(id, key, "error", "versi penyimpanan %s diretensi sampai %s tetapi tidak dirujuk oleh rekaman mana pun: tidak dapat dihapus sebelum tanggal itu; catat sebagai insiden — storage version %s is retained until %s but no record references it: it cannot be deleted before then; record it as an incident",
						v.VersionID, v.RetainUntil.Format("2006-01-02"), v.VersionID, v.RetainUntil.Format("2006-01-02"))
					continue
				}
				add(id, key, "warning", "storage version %s is not referenced by the record (left by an action that did not commit)", v.VersionID)
			}
		}
	}
	if opts.Deep {
		fs, n, err := e.deepCheck(ctx, deep, opts.Progress, newByteRate(opts.RateMBps))
		if err != nil {
			return nil, err
		}
		rep.Findings, rep.DeepBytes = append(rep.Findings, fs...), n
	}
	rep.Pending, _ = e.Pending(ctx)
	return rep, nil
}

// checkState reports impossible states of a record.
func (e *Engine) checkState(a *naskah.Agreement, bad func(format string, args ...any)) {
	switch a.Status {
	case naskah.StatusActive:
		if naskah.LookupStep(a.Step) == nil {
			bad("active at unknown step %q", a.Step)
		} else if naskah.LookupStep(a.Step).Process != a.Process {
			bad("step %s is not in process %s", a.Step, a.Process)
		}
		if cur := a.Current(); cur == nil || cur.Step != a.Step {
			bad("active at %s but the history has no open entry for it", a.Step)
		}
	case naskah.StatusCompleted:
		if a.Step != naskah.StepDone {
			bad("completed but at step %s", a.Step)
		}
		if a.Current() != nil {
			bad("completed but a step is still open")
		}
	case naskah.StatusCancelled:
	default:
		bad("unknown status %q", a.Status)
	}
	for _, h := range a.History {
		for _, r := range append(append([]naskah.DocRef{}, h.Consumed...), h.Produced...) {
			if a.Document(r.Kind, r.Version) == nil {
				bad("history at %s names %s, which the record does not hold", h.Step, r)
			}
		}
	}
}
