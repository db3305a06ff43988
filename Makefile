# ihanoi — every target creates the virtualenv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# Branch coverage of ihanoi_core below which `make test` fails.
COVERAGE_FLOOR := 90
PG_VERSION := $(shell ls /etc/postgresql 2>/dev/null | head -n1)

.PHONY: serve test bench lint typecheck postgres browser shell-tools clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24'
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,notifications]'
	# An independent CAP parser for the tests; its pins (lxml 4.6.3) predate this Python.
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt capparselib
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Run the server with demo data on the embedded SQLite store, on HOST:PORT
## (default 127.0.0.1:8000; e.g. `make serve PORT=8080`).
## Development mode (a published signing key) unless IHANOI_ENV/IHANOI_SECRET_KEY say otherwise.
PORT ?= 8000
# HOST only from the command line: some shells (tcsh) export the machine's name in it.
ifneq ($(origin HOST),command line)
HOST := 127.0.0.1
endif
serve: export IHANOI_ENV ?= development
# Cashless fees on, with a demo account and a demo gateway's secret (docs/payments.md).
serve: export IHANOI_PAYMENTS_BANK_BIN ?= 970415
serve: export IHANOI_PAYMENTS_ACCOUNT ?= 113000006100
serve: export IHANOI_PAYMENTS_PROVIDERS ?= demo=demo-gateway-secret
# A demo Open311 partner's key (docs/http-api.md, section 11).
serve: export IHANOI_OPEN311_API_KEYS ?= partner-key-1
# Demo secrets of the chat and hotline webhooks, so their walk-through runs (docs/channels.md).
serve: export IHANOI_ZALO_APP_ID ?= 360846524940903967
serve: export IHANOI_ZALO_OA_SECRET_KEY ?= demo-zalo-oa-secret
serve: export IHANOI_MESSENGER_APP_SECRET ?= demo-messenger-secret
serve: export IHANOI_MESSENGER_VERIFY_TOKEN ?= demo-verify-token
serve: export IHANOI_HOTLINE_SECRET ?= demo-hotline-secret
serve: $(STAMP)
	$(BIN)/ihanoi demo --if-empty --host $(HOST) --port $(PORT)
	$(BIN)/ihanoi serve --host $(HOST) --port $(PORT)

## Make sure the local PostgreSQL is up (tests use it for real).
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432

## Headless Chromium and its driver for the dashboard page tests (Debian's packages;
## a test tool's own browser download cannot work on a machine without internet).
browser:
	@if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then \
		if ! apt-cache show chromium-driver >/dev/null 2>&1; then apt-get update; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi
	@/usr/bin/chromedriver --version

## What the docs' walk-throughs run besides ihanoi, for the test that runs them
## (tests/e2e/test_doc_walkthroughs_run.py): Debian's packages.
shell-tools:
	@if ! command -v jq >/dev/null || ! command -v curl >/dev/null || ! command -v openssl >/dev/null; then \
		if ! apt-cache show jq >/dev/null 2>&1; then apt-get update; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jq curl openssl; \
	fi

## The whole suite: lint, types, unit, integration (POPO, SQLite, PostgreSQL), e2e.
# --dist worksteal: an idle worker takes queued tests from a busy one, so a few long
# crash tests do not leave one worker running alone at the end.
# compileall: our modules' bytecode once, else with PYTHONDONTWRITEBYTECODE set every
# `ihanoi serve` and `ihanoi` process the tests start compiles them again (~0.4 s CPU each).
# PYTHONDONTWRITEBYTECODE emptied for pytest: it keeps the test modules it rewrote for
# its assertions in tests/**/__pycache__, else each of the four workers rewrites and compiles
# them all again on every run (collecting the suite: 10.7 -> 4.7 s CPU once they are kept).
test: $(STAMP) postgres browser shell-tools
	$(BIN)/ruff check src projections tests benchmarks
	$(MAKE) --no-print-directory typecheck
	$(BIN)/python -m compileall -q src projections
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n 4 --dist worksteal --cov --cov-fail-under=$(COVERAGE_FLOOR)

typecheck: $(STAMP)
	mkdir -p build/typecheck && ln -sfn ../../projections build/typecheck/ihanoi_projections
	$(BIN)/mypy -p ihanoi_core -p ihanoi_server -p ihanoi_projections -p tests -p benchmarks

## Throughput figures beside the ceilings measured in the same run.
bench: $(STAMP) postgres
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache test-output
