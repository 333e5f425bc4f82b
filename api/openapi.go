package api

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// openapiDoc builds the OpenAPI 3 document from the route table, so every
// registered route is documented by construction.
func (s *Server) openapiDoc() map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range s.routes {
		p, params := openapiPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		var parameters []any
		for _, name := range params {
			parameters = append(parameters, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, name := range r.query {
			parameters = append(parameters, map[string]any{"name": name, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		op := map[string]any{
			"summary":     r.summary,
			"operationId": strings.ToLower(r.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(strings.TrimPrefix(p, Prefix)),
			"tags":        []string{r.tag},
			"responses":   responses(r),
		}
		if r.method == fiber.MethodPost && r.auth {
			parameters = append(parameters, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "A retried request with the same key has the effect of one.", "schema": map[string]any{"type": "string", "maxLength": 200}})
		}
		if len(parameters) > 0 {
			op["parameters"] = parameters
		}
		if r.auth {
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"cookie": []string{}}}
		} else {
			op["security"] = []any{}
		}
		if rb := requestBody(r.body); rb != nil {
			op["requestBody"] = rb
		}
		paths[p][strings.ToLower(r.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Naskah API", "version": "1",
			"description": "Perjanjian kerja sama BPOM through SOP POM-13.01/CFM.01/SOP.01. Errors are application/problem+json with a code from a closed set."},
		"servers": []any{map[string]any{"url": s.cfg.PublicBaseURL}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie,
					"description": "UI session; state-changing requests also need the X-CSRF-Token header."},
			},
			"schemas": map[string]any{
				"Problem": map[string]any{"type": "object", "required": []string{"type", "title", "status", "detail", "code"},
					"properties": map[string]any{
						"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
						"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
						"code": map[string]any{"type": "string", "enum": []string{"invalid", "unauthorized", "forbidden", "not_found", "conflict", "retained", "too_large", "unavailable", "internal"}},
					}},
			},
		},
	}
}

// openapiPath turns /agreements/:id into /agreements/{id} and lists the parameters.
func openapiPath(path string) (string, []string) {
	segs := strings.Split(path, "/")
	var params []string
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			name := strings.TrimSuffix(strings.TrimPrefix(s, ":"), "?")
			params = append(params, name)
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/"), params
}

func responses(r route) map[string]any {
	ok := r.okStatus
	if ok == 0 {
		ok = fiber.StatusOK
	}
	media := r.produces
	if media == "" {
		media = fiber.MIMEApplicationJSON
	}
	prob := map[string]any{"description": "problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	out := map[string]any{"default": prob}
	if ok == fiber.StatusNoContent {
		out["204"] = map[string]any{"description": "done"}
	} else {
		out[strconv.Itoa(ok)] = map[string]any{"description": "success", "content": map[string]any{media: map[string]any{}}}
	}
	return out
}

func requestBody(kind string) map[string]any {
	content := map[string]any{}
	if strings.Contains(kind, "json") {
		content[fiber.MIMEApplicationJSON] = map[string]any{"schema": map[string]any{"type": "object"}}
	}
	if strings.Contains(kind, "multipart") {
		content[fiber.MIMEMultipartForm] = map[string]any{"schema": map[string]any{"type": "object",
			"properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}}}}
	}
	if strings.Contains(kind, "pem") { // a certificate, PEM or DER
		content["application/x-pem-file"] = map[string]any{"schema": map[string]any{"type": "string"}}
		content["application/pkix-cert"] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
	}
	if len(content) == 0 {
		return nil
	}
	return map[string]any{"required": kind == "multipart", "content": content}
}

func (s *Server) openapi(c *fiber.Ctx) error {
	return c.JSON(s.openapiDoc())
}
