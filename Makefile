# The two commands a newcomer needs: `make run` (the engine, SQLite, demo data) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint install

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
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# What CI runs before the tests: lint, format check, types (states/, workflow/), import contracts.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
