# Everyday commands. Benchmarks run only where there are any, so `make bench`
# stays quick.

GO ?= go
STACK ?= dev
BENCH_PKGS := ./ ./cmd/plan/ ./internal/deploytime/

.PHONY: test plan bench

test:
	$(GO) test ./...

plan:
	$(GO) run ./cmd/plan --stack $(STACK)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_PKGS)
