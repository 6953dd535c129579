# Thin wrappers over go test. FUZZTIME sets how long each fuzz target runs.
GO ?= go
FUZZTIME ?= 30s
BENCHCOUNT ?= 5

.PHONY: test race bench fuzz e2e interop vet crash

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./...

# Runs every Fuzz* target of every package for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done

e2e:
	bash e2e/run.sh

interop:
	bash interop/run.sh

# The crash suite (SIGKILLs `consumer run` and checks exact counts; see crash/doc.go).
crash:
	bash crash/run.sh
