# Everyday commands. Benchmarks run only where there are any, so `make bench`
# stays quick.

GO ?= go
STACK ?= dev
BENCH_PKGS := ./ ./cmd/plan/ ./internal/deploytime/

.PHONY: test engine plan bench

test:
	$(GO) test ./...

# The real Pulumi engine over every stack, with fake providers at the cloud
# boundary (enginetest/, a module of its own).
engine:
	cd enginetest && $(GO) test ./...

plan:
	$(GO) run ./cmd/plan --stack $(STACK)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_PKGS)
