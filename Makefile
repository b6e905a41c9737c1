# The two commands a newcomer needs: `make run` (the engine, SQLite, demo data) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint install test-deps

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/dossier run

# DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make test  runs it on Postgres.
# Two workers (the host's two cores); on Postgres each gets a database of its own (tests/conftest.py).
PYTEST_ARGS ?= -n 2
test: $(STAMP) test-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# What the tests drive besides Python, installed once: Debian's chromium for the browser tests
# (Playwright's own browser download cannot work here), node-oidc-provider for single sign-on,
# axe-core for the accessibility checks.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-deps:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium; }
	@test -d tests/oidc/node_modules/oidc-provider || \
	  (cd tests/oidc && npm ci --no-audit --no-fund)
	@test -f tests/web/axe/node_modules/axe-core/axe.min.js || \
	  (cd tests/web/axe && npm ci --no-audit --no-fund)

# What CI runs before the tests: lint, format check, types (states/, workflow/), import contracts.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
