package naskah

import (
	"fmt"
	"strings"
	"time"
)

// Status is the agreement's overall state.
type Status string

const (
	StatusActive    Status = "active"    // moving through its process
	StatusCompleted Status = "completed" // the process ended (signed and received/archived, or monev reported)
	StatusCancelled Status = "cancelled"
)

// Agreement is the record of one agreement (or one monev round, process C)
// as it moves through the SOP. It is stored as agreements/<id>/record.json
// and changed only by Apply, committed with a conditional write.
type Agreement struct {
	ID         string        `json:"id"`
	Number     string        `json:"number,omitempty"` // nomor naskah, once assigned
	Title      string        `json:"title"`
	Kind       AgreementKind `json:"kind"`
	Scope      Scope         `json:"scope"`
	Process    Process       `json:"process"`
	Initiation Initiation    `json:"initiation"`
	Extends    string        `json:"extends,omitempty"` // id of the agreement an extension extends
	Partner    Partner       `json:"partner"`
	// Unit is the initiating central unit or UPT; InitiatorRole says which
	// (UNIT or UPT; BKH/MITRA-initiated agreements name the owning unit).
	Unit            string     `json:"unit"`
	InitiatorRole   Role       `json:"initiator_role"`
	Signatory       Signatory  `json:"signatory,omitempty"`
	NeedsFullPowers bool       `json:"needs_full_powers,omitempty"`
	SigningDate     *time.Time `json:"signing_date,omitempty"` // the agreed signing date (B10)
	ValidFrom       *time.Time `json:"valid_from,omitempty"`
	ValidUntil      *time.Time `json:"valid_until,omitempty"`
	SignedAt        *time.Time `json:"signed_at,omitempty"`

	// Monitors and Period are set on monev rounds (process C).
	Monitors string `json:"monitors,omitempty"`
	Period   string `json:"period,omitempty"` // e.g. "2026-Q4"

	Step      StepID            `json:"step"`
	Status    Status            `json:"status"`
	History   []StepEntry       `json:"history"`
	Documents []DocumentVersion `json:"documents"`
	Audit     []AuditEvent      `json:"audit"`
	// Requests holds the request ids of the latest actions, so a retried
	// action is recognised and has the effect of one.
	Requests []string `json:"requests,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Revision  int       `json:"revision"` // bumped by every committed action
}

// StepEntry is one passage through a step.
type StepEntry struct {
	Step         StepID     `json:"step"`
	Entered      time.Time  `json:"entered"`
	Due          *time.Time `json:"due,omitempty"`
	DueWarning   string     `json:"due_warning,omitempty"`
	Done         *time.Time `json:"done,omitempty"`
	By           string     `json:"by,omitempty"`
	Role         Role       `json:"role,omitempty"`
	Decision     ActionKind `json:"decision,omitempty"`
	Note         string     `json:"note,omitempty"`
	Consumed     []DocRef   `json:"consumed,omitempty"`
	Produced     []DocRef   `json:"produced,omitempty"`
	ReturnedFrom StepID     `json:"returned_from,omitempty"`
}

// DocRef names one version of one document kind of an agreement.
type DocRef struct {
	Kind    DocumentKind `json:"kind"`
	Version int          `json:"version"`
}

func (r DocRef) String() string { return fmt.Sprintf("%s v%d", r.Kind, r.Version) }

// DocumentVersion is one stored version of a document of the agreement.
type DocumentVersion struct {
	Kind       DocumentKind `json:"kind"`
	Version    int          `json:"version"` // 1, 2, … per kind
	Key        string       `json:"key"`
	VersionID  string       `json:"version_id"` // the storage backend's version id
	SHA256     string       `json:"sha256"`
	Size       int64        `json:"size"`
	Pages      int          `json:"pages,omitempty"`
	FileName   string       `json:"file_name,omitempty"`
	MediaType  string       `json:"media_type,omitempty"`
	Step       StepID       `json:"step"`
	UploadedBy string       `json:"uploaded_by"`
	UploadedAt time.Time    `json:"uploaded_at"`
	// OriginalSHA256 is the hash of the bytes as uploaded, before the step's stamps.
	OriginalSHA256 string   `json:"original_sha256,omitempty"`
	Signers        []string `json:"signers,omitempty"`
	// Signatures says, per signature in file order, who signed in Naskah
	// and with which certificate (Signers is kept for older records).
	Signatures  []SignatureInfo `json:"signatures,omitempty"`
	RetainUntil *time.Time      `json:"retain_until,omitempty"`
	// ActiveContent warns of what in the stored file could act when it is
	// opened (JavaScript, launch and submit actions, embedded files, XFA).
	ActiveContent []string `json:"active_content,omitempty"`
	// ActiveContentRemoved is what the step's stamp removed from the
	// uploaded file (the text to sign is stored without active content).
	ActiveContentRemoved []string `json:"active_content_removed,omitempty"`
	// SignaturePlaces are the empty signature fields of the uploaded
	// text to sign, in field order: the stamp removed them and the i-th
	// visible signature of this version is drawn at place i instead.
	SignaturePlaces []SignaturePlace `json:"signature_places,omitempty"`
}

// SignaturePlace is where an empty signature field of an uploaded file
// was: its name (/T), its page (1-based) and its /Rect [llx lly urx ury]
// in the page's user space.
type SignaturePlace struct {
	Name string     `json:"name,omitempty"`
	Page int        `json:"page"`
	Rect [4]float64 `json:"rect"`
}

// SignatureInfo binds one signature of a signed text to the Naskah user
// who made it and the certificate it was made with, so a verifier can tell
// whether the file's signature is the one the record says.
type SignatureInfo struct {
	Signer      string    `json:"signer"` // SignerTag(Role, User)
	User        string    `json:"user"`
	Role        Role      `json:"role"`
	Fingerprint string    `json:"fingerprint"` // SHA-256 of the certificate's DER, lowercase hex
	Subject     string    `json:"subject"`
	SignedAt    time.Time `json:"signed_at"`
	// External marks a countersignature made outside Naskah and uploaded;
	// its certificate chains to the partner trust list.
	External bool `json:"external,omitempty"`
}

// Ref returns the version's DocRef.
func (d DocumentVersion) Ref() DocRef { return DocRef{d.Kind, d.Version} }

// DocumentKey is the storage key of a document kind of an agreement.
func DocumentKey(agreementID string, kind DocumentKind) string {
	return "agreements/" + agreementID + "/documents/" + string(kind) + ".pdf"
}

// RecordKey is the storage key of an agreement's record.
func RecordKey(agreementID string) string { return "agreements/" + agreementID + "/record.json" }

// Latest returns the newest version of a document kind, or nil.
func (a *Agreement) Latest(kind DocumentKind) *DocumentVersion {
	for i := len(a.Documents) - 1; i >= 0; i-- {
		if a.Documents[i].Kind == kind {
			return &a.Documents[i]
		}
	}
	return nil
}

// Document returns one version of a kind, or nil.
func (a *Agreement) Document(kind DocumentKind, version int) *DocumentVersion {
	for i := range a.Documents {
		if a.Documents[i].Kind == kind && a.Documents[i].Version == version {
			return &a.Documents[i]
		}
	}
	return nil
}

// NextVersion returns the number the next upload of kind gets.
func (a *Agreement) NextVersion(kind DocumentKind) int {
	if d := a.Latest(kind); d != nil {
		return d.Version + 1
	}
	return 1
}

// Current returns the open history entry (the current step's), or nil.
func (a *Agreement) Current() *StepEntry {
	if n := len(a.History); n > 0 && a.History[n-1].Done == nil {
		return &a.History[n-1]
	}
	return nil
}

// CurrentStep returns the current step's definition, or nil when done.
func (a *Agreement) CurrentStep() *Step { return LookupStep(a.Step) }

// HasRequest reports whether an action with this request id was applied.
func (a *Agreement) HasRequest(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range a.Requests {
		if r == id {
			return true
		}
	}
	return false
}

// Validate checks the fields a person enters when initiating.
func (a *Agreement) Validate() error {
	var problems []string
	if strings.TrimSpace(a.Title) == "" {
		problems = append(problems, "title is empty: give the agreement a title")
	}
	switch a.Process {
	case ProcessDomestic, ProcessForeign:
		want := ScopeDomestic
		if a.Process == ProcessForeign {
			want = ScopeForeign
		}
		if a.Scope == "" {
			a.Scope = want
		}
		if a.Scope != want {
			problems = append(problems, fmt.Sprintf("scope %q does not match process %s (%s)", a.Scope, a.Process, want))
		}
		if !a.Kind.AllowedIn(a.Scope) {
			problems = append(problems, fmt.Sprintf("kind %q is not a %s agreement kind: domestic is mou or pks; foreign is mou, agreement, arrangement, loi, rod, mom or other", a.Kind, a.Scope))
		}
		if strings.TrimSpace(a.Partner.Name) == "" {
			problems = append(problems, "partner name is empty: name the partner (mitra)")
		}
		if !a.Partner.Kind.Valid() {
			problems = append(problems, fmt.Sprintf("partner kind %q is unknown: use business, government, international, society or academia", a.Partner.Kind))
		}
		if a.Scope == ScopeForeign && strings.TrimSpace(a.Partner.Country) == "" {
			problems = append(problems, "a foreign agreement needs the partner's country")
		}
		if a.Signatory != "" && !a.Signatory.Valid() {
			problems = append(problems, fmt.Sprintf("signatory %q is unknown: use KEPALA, MADYA, PRATAMA or KEPALA_UPT", a.Signatory))
		}
		if a.Scope == ScopeForeign && (a.Signatory == SignatoryKepalaUPT || a.Signatory == SignatoryPratama) {
			problems = append(problems, "a foreign agreement is signed by KEPALA or MADYA")
		}
		if a.Signatory == SignatoryKepalaUPT && a.InitiatorRole != RoleUPT {
			problems = append(problems, "a Kepala UPT signs only agreements its UPT initiated")
		}
	case ProcessMonitoring:
		if a.Monitors == "" {
			problems = append(problems, "a monev round must name the agreement it monitors")
		}
	default:
		problems = append(problems, fmt.Sprintf("process %q is unknown: use A (domestic), B (foreign) or C (monev)", a.Process))
	}
	switch a.Initiation {
	case "":
		a.Initiation = InitiationNew
	case InitiationNew:
	case InitiationExtension:
		if a.Extends == "" && a.Process != ProcessMonitoring {
			problems = append(problems, "an extension must name the agreement it extends")
		}
	default:
		problems = append(problems, fmt.Sprintf("initiation %q is unknown: use new or extension", a.Initiation))
	}
	if a.Unit == "" {
		problems = append(problems, "the initiating unit is empty: name the central unit or UPT")
	}
	if a.ValidFrom != nil && a.ValidUntil != nil && a.ValidUntil.Before(*a.ValidFrom) {
		problems = append(problems, "valid_until is before valid_from")
	}
	if len(problems) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(problems, "; "))
	}
	return nil
}

// DeadlineStatus says where a step stands against its due date.
type DeadlineStatus string

const (
	DeadlineNone    DeadlineStatus = "none"     // no deadline
	DeadlineOnTime  DeadlineStatus = "on_time"  // more than 2 HK left, or done in time
	DeadlineDueSoon DeadlineStatus = "due_soon" // due within 2 HK
	DeadlineOverdue DeadlineStatus = "overdue"  // past due (open), or done late
)

// Status returns the entry's deadline status at now.
func (e *StepEntry) Status(now time.Time, cal *Calendar) DeadlineStatus {
	if e.Due == nil {
		return DeadlineNone
	}
	if e.Done != nil {
		if e.Done.After(*e.Due) {
			return DeadlineOverdue
		}
		return DeadlineOnTime
	}
	if now.After(*e.Due) {
		return DeadlineOverdue
	}
	if cal.WorkingDaysBetween(now, *e.Due) <= 2 {
		return DeadlineDueSoon
	}
	return DeadlineOnTime
}

// ExpiresWithin reports whether the agreement's validity ends within d of now.
func (a *Agreement) ExpiresWithin(now time.Time, d time.Duration) bool {
	return a.ValidUntil != nil && !a.ValidUntil.Before(now) && a.ValidUntil.Sub(now) <= d
}
