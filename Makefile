# coroner — see README.md. Every target installs what it needs.
SHELL := /bin/bash
GO ?= go
BIN := bin/coroner
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/coroner/coroner/internal/version.Version=$(VERSION)
# Go's test timeout for the whole suite; CI machines have 2 cores.
TEST_TIMEOUT ?= 20m

.PHONY: all build deps demo test corpus corpus-foreign eval bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/coroner

deps:
	@.ci/install-deps
	$(GO) mod download

demo: deps build
	@corpus/scripts/demo.sh

# staticcheck's release, run from the module proxy by version.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The suite first checks that go.mod and go.sum are what go mod tidy makes
# of the imports (it prints the difference and fails otherwise), then vet
# and staticcheck.
test: deps
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

# Both columns of the corpus: coroner collect's captures, then the foreign
# ones (plain tools, coroner ingest); a failure in one still runs the other.
corpus: deps build
	@rc=0; corpus/scripts/capture-all.sh || rc=$$?; corpus/scripts/capture-foreign.sh || rc=$$?; exit $$rc

corpus-foreign: deps build
	@corpus/scripts/capture-foreign.sh

eval: deps build
	$(GO) run ./corpus/eval

bench: deps build
	@corpus/bench/run.sh

# Runs every Fuzz target for FUZZTIME each.
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done

clean:
	rm -rf bin corpus/out
