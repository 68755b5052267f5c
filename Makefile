# Continuum: every target is self-contained on a fresh machine (Python 3.11, Debian).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest
# pytest exits 5 when a stage selects no tests; that is not a failure of the suite.
define run_pytest
	$(PYTEST) $(1) || { rc=$$?; [ $$rc -eq 5 ] || exit $$rc; }
endef

.PHONY: chromium test-sqlite-on-current-db help demo serve test test-sqlite test-postgres test-browser test-slow lint format lock clean bench scale-out

help:
	@echo "make demo   - install, migrate, load the demo practice, serve http://127.0.0.1:8000"
	@echo "make test   - the whole suite: SQLite, PostgreSQL (throwaway cluster), browser, slow"
	@echo "make lint   - ruff, ruff format --check, mypy --strict, import contracts, bandit"
	@echo "make bench  - load and batch benchmarks on SQLite and PostgreSQL (QUICK=1: a small smoke run)"
	@echo "make scale-out - two app servers, two workers, two schedulers on PostgreSQL, one of each killed"

$(STAMP): requirements/bootstrap.txt requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/bootstrap.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --require-hashes -r requirements/dev.txt
	touch $(STAMP)

# The demo runs on the public development key and a key file in var/ (settings.py refuses to
# start that way unless told this is a development or demo machine).
demo: export CONTINUUM_INSECURE_DEV = 1
demo: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py seed_demo
	bin/demo-serve

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

test: $(STAMP) chromium
	$(MAKE) --no-print-directory test-sqlite test-postgres test-browser test-slow

test-sqlite: $(STAMP)
	@echo "== unit and integration tests on SQLite"
	$(call run_pytest,-q -m "not browser and not slow" -n 2)

test-postgres: $(STAMP)
	@echo "== unit and integration tests on a throwaway PostgreSQL cluster"
	bin/with-postgres $(MAKE) --no-print-directory test-sqlite-on-current-db

test-sqlite-on-current-db: $(STAMP)
	$(call run_pytest,-q -m "not browser and not slow" -n 2)

test-browser: $(STAMP) chromium
	@echo "== browser tests (Playwright driving /usr/bin/chromium)"
	$(call run_pytest,-q -m browser)

test-slow: $(STAMP)
	@echo "== concurrency and crash tests"
	$(call run_pytest,-q -m slow)

# Benchmarks, not timed tests: a large seeded practice served by gunicorn and driven by locust,
# then the batch jobs, on SQLite and then a throwaway PostgreSQL cluster (bench/run.py).
# Writes bench/results.json and the table in docs/performance.md; QUICK=1 is a small smoke run
# (under 3 minutes) that writes var/bench/results-quick.json instead.
BENCH_FLAGS := $(if $(QUICK),--quick,)
BENCH_PARTS := var/bench/sqlite$(if $(QUICK),-quick,).json var/bench/postgres$(if $(QUICK),-quick,).json

bench: $(STAMP)
	mkdir -p var/bench
	rm -f $(BENCH_PARTS)
	$(PY) bench/run.py measure --backend sqlite --python-scaleup $(BENCH_FLAGS) --out $(word 1,$(BENCH_PARTS)) || true
	bin/with-postgres $(PY) bench/run.py measure --backend postgres $(BENCH_FLAGS) --out $(word 2,$(BENCH_PARTS)) || true
	$(PY) bench/run.py report $(BENCH_FLAGS) $(BENCH_PARTS)

# Two app servers, two workers and two schedulers on a throwaway PostgreSQL, one server and one
# worker killed mid-run (also in test-slow); prints what it did and how long it took.
scale-out: $(STAMP)
	$(PYTEST) -q -s -p no:randomly continuum/tests/test_scale_out.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy continuum
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r continuum -x '*/tests/*,continuum/testing/*'

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock:
	test -x $(VENV)/bin/uv || $(MAKE) $(STAMP)
	cd requirements && ../$(VENV)/bin/uv pip compile -q base.in -o base.txt --generate-hashes --python-version 3.11
	cd requirements && ../$(VENV)/bin/uv pip compile -q dev.in -o dev.txt --generate-hashes --python-version 3.11

clean:
	rm -rf $(VENV) var/static
