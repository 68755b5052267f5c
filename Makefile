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

.PHONY: chromium test-sqlite-on-current-db help demo serve test test-sqlite test-postgres test-browser test-slow lint format lock clean

help:
	@echo "make demo   - install, migrate, load the demo practice, serve http://127.0.0.1:8000"
	@echo "make test   - the whole suite: SQLite, PostgreSQL (throwaway cluster), browser, slow"
	@echo "make lint   - ruff, ruff format --check, mypy --strict, bandit"

$(STAMP): requirements/bootstrap.txt requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/bootstrap.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --require-hashes -r requirements/dev.txt
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
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

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy continuum
	$(VENV)/bin/bandit -q -c pyproject.toml -r continuum -x '*/tests/*,continuum/testing/*'

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock:
	test -x $(VENV)/bin/uv || $(MAKE) $(STAMP)
	cd requirements && ../$(VENV)/bin/uv pip compile -q base.in -o base.txt --generate-hashes --python-version 3.11
	cd requirements && ../$(VENV)/bin/uv pip compile -q dev.in -o dev.txt --generate-hashes --python-version 3.11

clean:
	rm -rf $(VENV) var/static
