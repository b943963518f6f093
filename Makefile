# brine — run `make help` for the targets.
GO      ?= go
BIN     := bin
FUZZTIME ?= 60s

.PHONY: help build run test bench fuzz lint

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-6s %s\n", $$1, $$2}'

# Static binaries (no cgo): a worker starts without the dynamic loader and
# libc, a fifth less time to spawn 8 workers on a 2-core VM.
build: ## build bin/coordinator (lean: pipes), bin/coordinator-full (every transport, metrics, traces, plots) and the workers: bin/worker (pipes, NATS), bin/worker-pipe (pipes only, lean), bin/worker-plugin
	CGO_ENABLED=0 $(GO) build -tags lean -o $(BIN)/coordinator ./cmd/coordinator
	CGO_ENABLED=0 $(GO) build -o $(BIN)/coordinator-full ./cmd/coordinator
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/worker
	CGO_ENABLED=0 $(GO) build -tags nonats -o $(BIN)/worker-pipe ./cmd/worker
	CGO_ENABLED=0 $(GO) build -tags "plugin nonats" -o $(BIN)/worker-plugin ./cmd/worker

run: build ## build, then run the lesson: serial, threads with and without a GIL, processes; a verdict
	./$(BIN)/coordinator -mode lesson -repeat 3 -tasks 32

test: ## run every test with -race, and the fuzz targets briefly
	scripts/test.sh

bench: build ## run the benchmarks beside the anchors and print ratios
	scripts/bench.sh

fuzz: ## fuzz the frame decoders for FUZZTIME each (default 60s)
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=$(FUZZTIME) ./pkg/wire/

lint: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
