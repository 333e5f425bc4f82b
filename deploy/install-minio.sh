#!/usr/bin/env bash
# Installs the pinned MinIO server used by the tests (built from the Go module
# proxy; about 5 minutes the first time, cached in GOBIN after).
set -euo pipefail
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
bin="$(go env GOPATH)/bin/minio"
stamp="$(go env GOPATH)/bin/.minio-version"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$MINIO_VERSION" ]; then
  echo "minio $MINIO_VERSION already installed at $bin"
  exit 0
fi
echo "installing minio $MINIO_VERSION (first time takes a few minutes) ..."
GOFLAGS=-buildvcs=false go install "github.com/minio/minio@${MINIO_VERSION}"
echo "$MINIO_VERSION" > "$stamp"
echo "minio installed at $bin"
