package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/storage"
	"github.com/gofiber/fiber/v2"
)

type signData struct {
	A         *naskah.Agreement
	CanSign   bool
	Source    *naskah.DocumentVersion // what the signature goes on
	Signed    *naskah.DocumentVersion // newest signed version, if any
	Report    *pdf.Report
	Done      bool
	HasToken  bool // the user has a PKCS#11 token key: the form offers the PIN
	RequestID string
	VerifyURL string
	// Countersign offers the partner the upload of the text they signed
	// outside Naskah on top of BPOM's signed text.
	Countersign bool
}

// signPage shows the text to sign and the form; after signing (?done=1) it
// shows the verification report of the signed version.
func (u *UI) signPage(c *fiber.Ctx, actor naskah.Actor) error {
	a, err := u.eng.Get(c.UserContext(), actor, param(c, "id"))
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	v := u.newView(c, u.tr(c, "sign.title"), "list")
	v.Form["location"], v.Form["visible"] = "Jakarta", "1"
	return u.renderSign(c, v, actor, a, c.Query("done") == "1", http.StatusOK)
}

func (u *UI) renderSign(c *fiber.Ctx, v *view, actor naskah.Actor, a *naskah.Agreement, done bool, status int) error {
	d := signData{A: a, CanSign: slices.Contains(naskah.Allowed(a, actor), naskah.ActionSign), Done: done,
		HasToken: u.eng.HasToken(actor.User), RequestID: randomHex(12), VerifyURL: u.verifyURL(a.ID)}
	d.Signed = a.Latest(naskah.DocSigned)
	d.Source = a.CurrentSigned()
	if d.Source == nil {
		d.Source = a.Latest(naskah.DocTextToSign)
	}
	d.Countersign = d.CanSign && actor.Role == naskah.RoleMitra && a.CurrentSigned() != nil
	if d.Source == nil && d.CanSign {
		v.Error = u.tr(c, "sign.notext")
	}
	if !d.CanSign && !done {
		v.Error = u.tr(c, "sign.notallowed")
		if a.HasSigned(actor) {
			v.Error = u.tr(c, "sign.already")
		}
	}
	if done && d.Signed != nil {
		data, _, err := u.eng.Download(c.UserContext(), actor, a.ID, naskah.DocSigned, d.Signed.Version, true)
		if err == nil {
			d.Report, err = u.eng.VerifyDocument(c.UserContext(), data)
		}
		if err != nil {
			v.Error = u.userMessage(c, err)
		}
	}
	v.Data = d
	return u.render(c, status, "sign", v)
}

func (u *UI) sign(c *fiber.Ctx, actor naskah.Actor) error {
	id := param(c, "id")
	a, err := u.eng.Get(c.UserContext(), actor, id)
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	v := u.newView(c, u.tr(c, "sign.title"), "list")
	for _, k := range []string{"reason", "location", "visible", "page", "method"} {
		v.Form[k] = form(c, k)
	}
	// A user with a token signs with it unless they chose the file.
	useToken := u.eng.HasToken(actor.User) && v.Form["method"] != "keystore"
	pass := c.FormValue("passphrase") // never echoed back, logged or kept
	pin := c.FormValue("pin")         // likewise
	var keystore []byte
	if useToken {
		if pin == "" {
			v.Errors["pin"] = u.tr(c, "sign.nopin")
		}
	} else {
		if fh, ferr := c.FormFile("keystore"); ferr == nil && fh.Size > 0 {
			if f, oerr := fh.Open(); oerr == nil {
				keystore, _ = io.ReadAll(io.LimitReader(f, 1<<20))
				f.Close()
			}
		}
		if len(keystore) == 0 {
			v.Errors["keystore"] = u.tr(c, "sign.nokeystore")
		}
		if pass == "" {
			v.Errors["passphrase"] = u.tr(c, "sign.nopass")
		}
	}
	if len(v.Errors) > 0 {
		return u.renderSign(c, v, actor, a, false, http.StatusBadRequest)
	}
	page, _ := strconv.Atoi(v.Form["page"])
	_, err = u.eng.Sign(c.UserContext(), pipeline.SignRequest{
		Request:  pipeline.Request{Actor: actor, ID: id, RequestID: form(c, "request_id"), Revision: revision(c)},
		Keystore: keystore, Passphrase: pass, UseToken: useToken, PIN: pin, Reason: v.Form["reason"], Location: v.Form["location"],
		Visible: v.Form["visible"] == "1", Page: page})
	if err != nil {
		// A wrong passphrase is EFORBIDDEN from the keystore; a file that is
		// not a keystore is EINVALID: show each next to its field. With a
		// token, both are about the PIN.
		field := ""
		msg := u.userMessage(c, err)
		switch naskah.ErrorCode(err) {
		case naskah.EFORBIDDEN:
			if !slices.Contains(naskah.Allowed(a, actor), naskah.ActionSign) {
				v.Error = msg
			} else if useToken {
				field = "pin"
			} else {
				field = "passphrase"
			}
		case naskah.EINVALID:
			field = "keystore"
			if useToken {
				field = "pin"
			}
		default:
			v.Error = msg
		}
		if field != "" {
			v.Errors[field] = msg
		}
		return u.renderSign(c, v, actor, a, false, statusOf(err))
	}
	return u.redirect(c, "/agreements/"+id+"/sign?done=1")
}

// --- public verification ---

type verifyData struct {
	ID       string
	A        *naskah.Agreement // nil when the id is unknown or empty
	Signed   *naskah.DocumentVersion
	SignedBy []string
	Report   *pdf.Report // of the stored signed version
	Upload   *pdf.Report // of the file the visitor uploaded
	Same     int         // signed version the upload is identical to (0: none)
	CopyOfV  int         // signed version a marked copy names, when it exists on record (0: none)
	Uploaded bool
	NotFound bool
	Action   string

	// Bindings compare each signature of the stored version with the record.
	Bindings   []pipeline.SignatureBinding
	IdentityOK bool
}

// verifyPage needs no login: it is opened from the QR code on a signed
// text. It shows only what the signed text itself says (title, parties,
// signers, when), never drafts or the workflow.
func (u *UI) verifyPage(c *fiber.Ctx) error {
	v := u.newView(c, u.tr(c, "ver.title"), "verify")
	d := u.verifyRecord(c.UserContext(), param(c, "id"), v)
	v.Data = d
	status := http.StatusOK
	if d.NotFound {
		status = http.StatusNotFound
	}
	return u.render(c, status, "verify", v)
}

func (u *UI) verifyRecord(ctx context.Context, id string, v *view) *verifyData {
	d := &verifyData{ID: id, Action: "/verify"}
	if id == "" {
		return d
	}
	d.Action = "/verify/" + id
	a, _, err := u.eng.Load(ctx, id)
	if err != nil || a.Process == naskah.ProcessMonitoring {
		d.NotFound = true
		return d
	}
	// Only a signed text is public: a draft answers exactly like a
	// missing id (no title, kind or partner of an unsigned agreement).
	if d.Signed = a.Latest(naskah.DocSigned); d.Signed == nil {
		d.NotFound = true
		return d
	}
	d.A = a
	data, err := u.readSigned(ctx, d.Signed)
	if err == nil {
		d.Report, err = u.eng.VerifyRecorded(ctx, d.Signed, data)
	}
	if err == nil {
		d.Bindings, err = u.eng.Bindings(ctx, d.Signed, d.Report)
		d.IdentityOK = pipeline.BindingsOK(d.Bindings)
	}
	if err != nil {
		v.Error = naskah.ErrorMessage(err)
	}
	return d
}

// readSigned reads the stored signed bytes, refusing them when they do not
// match the record's SHA-256: a mismatch must never read as genuine.
func (u *UI) readSigned(ctx context.Context, d *naskah.DocumentVersion) ([]byte, error) {
	rc, _, err := u.eng.Store.Get(ctx, d.Key, storage.GetOptions{VersionID: d.VersionID})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != d.SHA256 {
		return nil, naskah.Errorf(naskah.EINTERNAL, "stored signed text does not match its checksum")
	}
	return data, nil
}

func (u *UI) verifyUpload(c *fiber.Ctx) error {
	v := u.newView(c, u.tr(c, "ver.title"), "verify")
	d := u.verifyRecord(c.UserContext(), param(c, "id"), v)
	v.Data = d
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		v.Errors["file"] = u.tr(c, "up.nofile")
		return u.render(c, http.StatusBadRequest, "verify", v)
	}
	f, err := fh.Open()
	if err != nil {
		v.Errors["file"] = u.tr(c, "up.nofile")
		return u.render(c, http.StatusBadRequest, "verify", v)
	}
	defer f.Close()
	max := u.eng.Config.Limits.MaxBytes
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, max+1)); err != nil {
		v.Errors["file"] = u.tr(c, "up.nofile")
		return u.render(c, http.StatusBadRequest, "verify", v)
	}
	data := buf.Bytes()
	rep, err := u.eng.VerifyDocument(c.UserContext(), data)
	if err != nil {
		v.Errors["file"] = u.userMessage(c, err)
		return u.render(c, statusOf(err), "verify", v)
	}
	d.Upload, d.Uploaded = rep, true
	if d.A != nil {
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		for _, doc := range d.A.Documents {
			if doc.Kind == naskah.DocSigned && doc.SHA256 == h {
				d.Same = doc.Version
			}
			if doc.Kind == naskah.DocSigned && rep.CopyOf != nil && doc.SHA256 == rep.CopyOf.SHA256 {
				d.CopyOfV = doc.Version
			}
		}
	}
	return u.render(c, http.StatusOK, "verify", v)
}

// failCountersign shows a refused countersigned upload on the signing
// page, where its form is.
func (u *UI) failCountersign(c *fiber.Ctx, actor naskah.Actor, id string, err error) error {
	a, gerr := u.eng.Get(c.UserContext(), actor, id)
	if gerr != nil {
		return u.errorPage(c, statusOf(gerr), u.userMessage(c, gerr))
	}
	v := u.newView(c, u.tr(c, "sign.title"), "list")
	v.Form["location"], v.Form["visible"] = "Jakarta", "1"
	v.Errors["cs-file"] = u.userMessage(c, err)
	return u.renderSign(c, v, actor, a, false, statusOf(err))
}
