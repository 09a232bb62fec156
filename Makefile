GO ?= go
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: build test lint bench clean

build:
	$(GO) build -o bin/quarry ./cmd/quarry

# End-to-end tests that run a second time with every server on PostgreSQL:
# those whose paths differ most between the stores (crashes, job counters
# under concurrent writes, multipart, versioning, listing, inline objects,
# replication, lifecycle, notifications, token refresh). The whole suite runs
# on PostgreSQL with `QUARRY_TEST_META=postgres go test ./test/e2e/`.
PG_E2E ?= Inline|Crash|Kill9|JobCounters|TakesOver|Multipart|Versioning|Batch|LifecycleUpdate|TriggerRecon|Refresh|Conditional|ListObjects
# The scale-out tests run on PostgreSQL in the first pass already.
PG_E2E_SKIP ?= ScaleOut

# The whole suite: unit tests per package (both metadata stores' conformance
# suites among them), the end-to-end tests that build and run the real
# binary (the scale-out ones on PostgreSQL), then the PostgreSQL subset.
test:
	$(GO) test -count=1 -timeout 20m ./...
	QUARRY_TEST_META=postgres $(GO) test -count=1 -timeout 20m ./test/e2e/ -run '$(PG_E2E)' -skip '$(PG_E2E_SKIP)'

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$(STATICCHECK) ./...

bench:
	$(GO) run ./bench/s3bench

clean:
	rm -rf bin
