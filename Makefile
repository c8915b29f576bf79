# 亮诺 Liangnuo — `make run` serves the demo town; `make test` checks everything on SQLite and PostgreSQL.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: bench run test venv frontend frontend-test migrate seed lint typecheck test-sqlite test-postgres system-deps clean

run: venv frontend migrate ## set up everything and serve on http://127.0.0.1:8000
	@$(PY) -m app.cli seed-demo --if-empty --accounts-json var/demo-accounts.json
	@$(PY) scripts/print_demo_logins.py var/demo-accounts.json http://$(HOST):$(PORT)
	@$(PY) -m app.cli serve --host $(HOST) --port $(PORT)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

frontend: ## build the PWA into frontend/dist (skipped when frontend/ has no package.json)
	@if [ -f frontend/package.json ]; then \
	  if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.stamp ]; then \
	    (cd frontend && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.stamp); fi; \
	  (cd frontend && npm run --silent build); fi

frontend-test: frontend ## the PWA's ESLint and Vitest unit tests (skipped when frontend/ has no package.json)
	@if [ -f frontend/package.json ]; then (cd frontend && npm run --silent lint && npm test --silent); fi

migrate: venv
	@$(PY) -m app.cli migrate

system-deps: ## what the tests need from Debian: Chromium, CJK fonts, poppler, zbar
	@bash scripts/system-deps.sh

lint: venv
	$(VENV)/bin/ruff check app tests bench migrations
	$(VENV)/bin/ruff format --check app tests bench
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy app

# Each run is spread over $(TEST_WORKERS) processes (pytest-xdist, whole files to a worker so a module's
# fixtures are built once); every worker migrates a database of its own (tests/conftest.py).
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=12

test-sqlite: venv
	env -u TEST_DATABASE_URL $(PYTEST)

# Without CI an unreachable server only skips this run (with a warning); with CI=true the suite's
# conftest fails it, so CI can never pass without PostgreSQL.
test-postgres: venv
	@if [ "$$CI" != "true" ] && ! $(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()' '$(TEST_DATABASE_URL)' 2>/dev/null; then \
	  echo "!! PostgreSQL at TEST_DATABASE_URL is not reachable: PostgreSQL run SKIPPED (with CI=true this fails)"; \
	else TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(PYTEST); fi

test: venv system-deps frontend frontend-test lint typecheck ## lint, types, the PWA's lint and unit tests, then the whole suite on SQLite and on PostgreSQL
	@echo "== tests on SQLite =="
	@$(MAKE) --no-print-directory test-sqlite
	@echo "== tests on PostgreSQL ($(TEST_DATABASE_URL)) =="
	@$(MAKE) --no-print-directory test-postgres

# The benchmarks (figures, not tests) into docs/benchmarks.md: town and county take 15–30 minutes;
# BENCH_SCALES=town for a quick run, BENCH_SCALES=town,county,province-sample for the largest.
BENCH_SCALES ?= town,county
bench: venv ## run the benchmarks and write docs/benchmarks.md from their output
	BENCH_SCALES='$(BENCH_SCALES)' BENCH_PG_URL='$(TEST_DATABASE_URL)' $(PY) bench/report.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist .pytest_cache .mypy_cache .ruff_cache
