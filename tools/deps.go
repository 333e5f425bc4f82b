//go:build tools

// Package tools pins the libraries the adapters use, so that concurrent work
// on separate packages shares one go.mod.
package tools

import (
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/digitorus/pdfsign/sign"
	_ "github.com/digitorus/pdfsign/verify"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/meilisearch/meilisearch-go"
	_ "github.com/minio/minio-go/v7"
	_ "github.com/pdfcpu/pdfcpu/pkg/api"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/schollz/progressbar/v3"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/bcrypt"
	_ "software.sslmate.com/src/go-pkcs12"
)
