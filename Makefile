# Everyday commands. Benchmarks run only where there are any, so `make bench`
# stays quick. `bash .ci/run` is all of CI; these are its parts.

GO ?= go
STACK ?= dev
BENCH_PKGS := ./ ./cmd/plan/ ./internal/deploytime/
# golangci-lint refuses to lint code whose go.mod names a newer toolchain
# than the Go it was built with, so it is built and run with that one.
GOLANGCI := GOTOOLCHAIN=go1.27.3 $(GO) tool -modfile=$(CURDIR)/tools/golangci/go.mod golangci-lint run --config $(CURDIR)/.golangci.yml

.PHONY: test e2e record-state generate plan bench build lint vuln ci

test:
	$(GO) test ./...

# The real Pulumi engine over every stack, with fake providers at the cloud
# boundary (enginetest/, a module of its own), the policy pack included.
e2e:
	cd enginetest && $(GO) test ./...

# After an intended change to what the program deploys: record the example
# stacks' state again (enginetest/testdata) and review its diff.
record-state:
	cd enginetest && $(GO) test -count=1 -run TestRecordedStateIsWhatTheProgramDeploys ./ -record-state

# README's configuration reference (Pulumi.yaml) and figures (every stack's
# offline plan), after changing either.
generate:
	$(GO) generate ./...

plan:
	$(GO) run ./cmd/plan --stack $(STACK)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_PKGS)

# What the workflows hand the Pulumi CLI: the program (Pulumi.yaml's
# runtime.options.binary), the policy pack and the Helm post-renderer.
build:
	$(GO) build -o bin/bpa ./cmd/bpa
	$(GO) build -o bin/bpa-policy ./policy
	$(GO) build -o bin/bpa-postrender ./cmd/bpa-postrender

lint:
	$(GOLANGCI) ./...
	cd enginetest && $(GOLANGCI) ./...
	cd chartcheck && $(GOLANGCI) ./...

vuln:
	.ci/vulncheck

ci:
	bash .ci/run
