# Naskah — the two commands of the README are `make run` and `make test`.
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: run test tools bench fuzz vet

run: ## run the service on its embedded defaults (local storage + bleve under ./naskah-data)
	$(GO) run ./cmd/naskah serve

tools: ## install what the tests need that Go does not fetch by itself (pinned MinIO server)
	bash deploy/install-minio.sh

test: tools ## every test, against a real MinIO started on loopback
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

bench: tools ## benchmarks, each against the bare library calls in the same run
	$(GO) test -run '^$$' -bench BenchmarkPut200MB -benchtime 3x ./storage/minio
	$(GO) test -run '^$$' -bench 'BenchmarkPipeline|BenchmarkBare|BenchmarkSignMemory' -benchtime 5x ./pipeline/pdf
	$(GO) run ./search/bleve/internal/benchcmd -docs 10000 -words 800
	$(GO) test -run '^$$' -bench Load -benchtime 256x ./api

fuzz: ## ten minutes per fuzz target
	$(GO) test -run '^$$' -fuzz FuzzInspect -fuzztime 10m ./pipeline/pdf
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime 10m ./pipeline/pdf
