package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
)

// multipartReader checks that the request is multipart/form-data and
// returns a reader over its body bounded by limit plus 1 MiB of framing:
// the body is refused with 413 while it streams, whatever Content-Length says.
func (s *Server) multipartReader(c *fiber.Ctx, limit int64, what string) (*multipart.Reader, error) {
	tooLarge := newLimitedReader(nil, limit, what)
	mt, params := mediaType(c)
	if mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return nil, naskah.Errorf(naskah.EINVALID, "the body has Content-Type %q: send the %s as multipart/form-data with a part named \"file\"", c.Get(fiber.HeaderContentType), what)
	}
	max := limit + 1<<20
	if cl := int64(c.Request().Header.ContentLength()); cl > max {
		return nil, tooLarge.err()
	}
	r := newLimitedReader(body(c), max, what)
	r.max = limit // the message names the limit a person controls
	return multipart.NewReader(r, params["boundary"]), nil
}

// multipartError translates a broken multipart stream, keeping our own
// errors (ETOOLARGE from the limit) as they are.
func multipartError(err error) error {
	var ne *naskah.Error
	if errors.As(err, &ne) {
		return err
	}
	return naskah.WrapError(naskah.EINVALID, err, "the multipart body is malformed or was cut off: send the form again")
}

// formValue reads a small multipart field.
func formValue(p *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, 64<<10+1))
	if err != nil {
		return "", multipartError(err)
	}
	if len(b) > 64<<10 {
		return "", naskah.Errorf(naskah.EINVALID, "the form field %q is longer than 64 KB: shorten it", p.FormName())
	}
	return string(b), nil
}

// upload streams a multipart upload to the engine: fields (kind,
// revision, note) may come as query parameters or as parts before the
// part named "file"; the file is never buffered beyond the engine's limit.
func (s *Server) upload(c *fiber.Ctx) error {
	mr, err := s.multipartReader(c, s.cfg.MaxUploadBytes, "upload")
	if err != nil {
		return err
	}
	rid, err := requestID(c)
	if err != nil {
		return err
	}
	fields := map[string]string{"kind": c.Query("kind"), "revision": c.Query("revision"), "note": c.Query("note")}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return naskah.Errorf(naskah.EINVALID, "the form has no part named \"file\": attach the PDF as \"file\" after the kind, revision and note fields")
		}
		if err != nil {
			return multipartError(err)
		}
		name := part.FormName()
		if name != "file" {
			if _, known := fields[name]; !known {
				return naskah.Errorf(naskah.EINVALID, "the form field %q is unknown: send kind, revision, note and file", name)
			}
			if fields[name], err = formValue(part); err != nil {
				return err
			}
			continue
		}
		if fields["kind"] == "" {
			return naskah.Errorf(naskah.EINVALID, "the document kind is missing: send the field \"kind\" (e.g. initial_draft) before the file")
		}
		rev, err := intParam("revision", fields["revision"], 0)
		if err != nil {
			return err
		}
		req := pipeline.Request{Actor: actor(c), ID: c.Params("id"), RequestID: rid, Revision: rev, Note: fields["note"]}
		var a *naskah.Agreement
		if naskah.DocumentKind(fields["kind"]) == naskah.DocSigned {
			// The partner's countersignature made outside Naskah.
			a, err = s.engine.Countersign(c.UserContext(), req, part.FileName(), part)
			s.metrics.action(string(naskah.ActionSign), err)
		} else {
			a, err = s.engine.Upload(c.UserContext(), req, pipeline.Upload{Kind: naskah.DocumentKind(fields["kind"]), FileName: part.FileName(), Body: part})
			s.metrics.action(string(naskah.ActionUpload), err)
		}
		if err != nil {
			return err
		}
		v := s.view(a, actor(c))
		d := a.Latest(naskah.DocumentKind(fields["kind"]))
		c.Location(fmt.Sprintf("%s/agreements/%s/documents/%s/%d", Prefix, a.ID, d.Kind, d.Version))
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"document": d, "agreement": v})
	}
}

func (s *Server) listDocuments(c *fiber.Ctx) error {
	a, err := s.engine.Get(c.UserContext(), actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	docs := a.Documents
	if docs == nil {
		docs = []naskah.DocumentVersion{}
	}
	return c.JSON(fiber.Map{"agreement_id": a.ID, "revision": a.Revision, "documents": docs})
}

func (s *Server) download(c *fiber.Ctx) error {
	kind := naskah.DocumentKind(c.Params("kind"))
	if !kind.Valid() {
		return naskah.Errorf(naskah.ENOTFOUND, "document kind %q does not exist: list the agreement's documents for the kinds it has", kind)
	}
	version := 0
	if v := c.Params("version"); v != "latest" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return naskah.Errorf(naskah.EINVALID, "version %q: use a version number (1, 2, …) or \"latest\"", v)
		}
		version = n
	}
	original, err := boolParam("original", c.Query("original"))
	if err != nil {
		return err
	}
	asCopy, err := boolParam("copy", c.Query("copy"))
	if err != nil {
		return err
	}
	if original && asCopy {
		return naskah.Errorf(naskah.EINVALID, "pilih salah satu: ?original=1 atau ?copy=1 — choose one of ?original=1 and ?copy=1")
	}
	var (
		data []byte
		d    *naskah.DocumentVersion
	)
	if asCopy {
		data, d, err = s.engine.DownloadCopy(c.UserContext(), actor(c), c.Params("id"), kind, version)
	} else {
		data, d, err = s.engine.Download(c.UserContext(), actor(c), c.Params("id"), kind, version, original)
	}
	if err != nil {
		return err
	}
	original = !asCopy && (original || pipeline.ServesOriginal(d))
	name := fmt.Sprintf("%s_%s_v%d", c.Params("id"), d.Kind, d.Version)
	if !original {
		name += "_salinan"
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.pdf"`)
	c.Set("X-Document-Version", strconv.Itoa(d.Version))
	if original {
		c.Set("X-Document-SHA256", d.SHA256)
	}
	return c.Send(data)
}

// signRequest is a signature. The passphrase is used once and dropped: it
// is not logged (the access log has no bodies) and not stored.
type signRequest struct {
	Keystore   string `json:"keystore"` // base64 PKCS#12
	Passphrase string `json:"passphrase"`
	UseToken   bool   `json:"use_token"` // sign with the caller's own PKCS#11 token key
	PIN        string `json:"pin"`       // the token's PIN; a PIN without a keystore means use_token
	Reason     string `json:"reason"`
	Location   string `json:"location"`
	Visible    bool   `json:"visible"`
	Page       int    `json:"page"`
	Revision   int    `json:"revision"`
	Note       string `json:"note"`
}

func (s *Server) sign(c *fiber.Ctx) error {
	var r signRequest
	var keystore []byte
	if mt, _ := mediaType(c); mt == fiber.MIMEMultipartForm {
		var err error
		if keystore, err = s.readSignForm(c, &r); err != nil {
			return err
		}
	} else {
		if err := s.decodeJSON(c, &r); err != nil {
			return err
		}
		k, err := base64.StdEncoding.DecodeString(r.Keystore)
		if err != nil {
			return naskah.Errorf(naskah.EINVALID, "the keystore is not base64: encode the .p12 file with base64, or send it as a multipart file part named \"keystore\"")
		}
		keystore = k
	}
	defer clear(keystore)
	useToken := r.UseToken || (r.PIN != "" && len(keystore) == 0)
	if len(keystore) == 0 && !useToken {
		return naskah.Errorf(naskah.EINVALID, "no keystore was sent: attach your .p12 keystore (JSON \"keystore\" in base64, or a multipart part named \"keystore\"), or sign with your token (\"use_token\": true and \"pin\")")
	}
	rid, err := requestID(c)
	if err != nil {
		return err
	}
	a, err := s.engine.Sign(c.UserContext(), pipeline.SignRequest{
		Request:  pipeline.Request{Actor: actor(c), ID: c.Params("id"), RequestID: rid, Revision: r.Revision, Note: r.Note},
		Keystore: keystore, Passphrase: r.Passphrase, UseToken: useToken, PIN: r.PIN, Reason: r.Reason, Location: r.Location, Visible: r.Visible, Page: r.Page})
	s.metrics.action(string(naskah.ActionSign), err)
	if err != nil {
		return err
	}
	return c.JSON(s.view(a, actor(c)))
}

// readSignForm reads a multipart sign request: the keystore as a file part,
// the rest as fields.
func (s *Server) readSignForm(c *fiber.Ctx, r *signRequest) ([]byte, error) {
	mr, err := s.multipartReader(c, s.cfg.MaxJSONBytes, "sign request")
	if err != nil {
		return nil, err
	}
	var keystore []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return keystore, nil
		}
		if err != nil {
			return nil, multipartError(err)
		}
		v, err := formValue(part)
		if err != nil {
			return nil, err
		}
		switch part.FormName() {
		case "keystore":
			keystore = []byte(v)
			if part.FileName() == "" { // a text field holds base64
				if keystore, err = base64.StdEncoding.DecodeString(v); err != nil {
					return nil, naskah.Errorf(naskah.EINVALID, "the keystore field is not base64: send the .p12 as a file part named \"keystore\"")
				}
			}
		case "passphrase":
			r.Passphrase = v
		case "pin":
			r.PIN = v
		case "use_token":
			if r.UseToken, err = boolParam("use_token", v); err != nil {
				return nil, err
			}
		case "reason":
			r.Reason = v
		case "location":
			r.Location = v
		case "visible":
			if r.Visible, err = boolParam("visible", v); err != nil {
				return nil, err
			}
		case "page":
			if r.Page, err = intParam("page", v, 0); err != nil {
				return nil, err
			}
		case "revision":
			if r.Revision, err = intParam("revision", v, 0); err != nil {
				return nil, err
			}
		case "note":
			r.Note = v
		default:
			return nil, naskah.Errorf(naskah.EINVALID, "the form field %q is unknown: send keystore, passphrase (or use_token and pin), reason, location, visible, page, revision and note", part.FormName())
		}
	}
}

// verify checks any PDF sent as the part "file" or as an application/pdf body.
func (s *Server) verify(c *fiber.Ctx) error {
	var data []byte
	if mt, _ := mediaType(c); mt == "application/pdf" {
		var err error
		if data, err = io.ReadAll(newLimitedReader(body(c), s.cfg.MaxUploadBytes, "file")); err != nil {
			return multipartError(err)
		}
	} else {
		mr, err := s.multipartReader(c, s.cfg.MaxUploadBytes, "PDF to verify")
		if err != nil {
			return err
		}
		for data == nil {
			part, err := mr.NextPart()
			if err == io.EOF {
				return naskah.Errorf(naskah.EINVALID, "the form has no part named \"file\": attach the PDF to verify as \"file\"")
			}
			if err != nil {
				return multipartError(err)
			}
			if part.FormName() != "file" {
				continue
			}
			if data, err = io.ReadAll(newLimitedReader(part, s.cfg.MaxUploadBytes, "file")); err != nil {
				return multipartError(err)
			}
		}
	}
	rep, err := s.engine.VerifyDocument(c.UserContext(), data)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

// publicVerify is what the QR code on a signed text opens: the agreement's
// identity and the verification of its latest signed text, without login.
func (s *Server) publicVerify(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	// The public reads as the operator: it sees only what this handler shows.
	system := naskah.Actor{User: "public-verify", Role: naskah.RoleAdmin}
	a, err := s.engine.Get(ctx, system, id)
	if err != nil {
		return err
	}
	d := a.Latest(naskah.DocSigned)
	if d == nil || a.Process == naskah.ProcessMonitoring {
		// Exactly the answer for a missing id: the public learns nothing
		// of drafts, not even that one exists.
		return naskah.Errorf(naskah.ENOTFOUND, "agreement %q does not exist: check the id", id)
	}
	data, _, err := s.engine.Download(ctx, system, id, naskah.DocSigned, d.Version, true)
	if err != nil {
		return err
	}
	rep, err := s.engine.VerifyRecorded(ctx, d, data)
	if err != nil {
		return err
	}
	bs, err := s.engine.Bindings(ctx, d, rep)
	if err != nil {
		return err
	}
	return c.JSON(publicVerification{AgreementID: a.ID, Number: a.Number, Title: a.Title, Kind: a.Kind, Partner: a.Partner.Name,
		Status: a.Status, SignedAt: a.SignedAt, Version: d.Version, SHA256: d.SHA256, Signers: d.Signers, Report: rep,
		Signatures: bs, IdentityOK: pipeline.BindingsOK(bs), Genuine: rep.Valid && pipeline.BindingsOK(bs)})
}

type publicVerification struct {
	AgreementID string               `json:"agreement_id"`
	Number      string               `json:"number,omitempty"`
	Title       string               `json:"title"`
	Kind        naskah.AgreementKind `json:"kind"`
	Partner     string               `json:"partner"`
	Status      naskah.Status        `json:"status"`
	SignedAt    *time.Time           `json:"signed_at,omitempty"`
	Version     int                  `json:"version"`
	SHA256      string               `json:"sha256"`
	Signers     []string             `json:"signers"`
	Report      *pdf.Report          `json:"report"`
	// Signatures binds each signature in the file to the Naskah user the
	// record names; IdentityOK is false when any of them does not match.
	Signatures []pipeline.SignatureBinding `json:"signatures"`
	IdentityOK bool                        `json:"identity_ok"`
	// Genuine is the one answer for a reader: every signature valid and
	// made by the person the record names.
	Genuine bool `json:"genuine"`
}
