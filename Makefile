# Two setup commands for a fresh machine: `make demo` and `make test`.
# Both build on `make install`: a .venv with the locked dependencies and the liuyou package,
# from Python and PyPI alone (no apt, no root).

# The first Python 3.11+ on PATH (the locks are resolved for 3.11); override with `make PYTHON=/opt/python3.12/bin/python3 ...`.
PYTHON ?= $(shell for p in python3 python3.11 python3.12 python3.13; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_ARGS ?=
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: install install-dev demo test lint typecheck migrations-check test-py lock clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11 或更高版本 / Python 3.11+ is required (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps: reinstall only when a lock file or pyproject.toml changes.
$(VENV)/.installed-base: requirements/base.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/base.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements/dev.lock $(VENV)/.installed-base
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock
	@touch $@

install: $(VENV)/.installed-base
	@$(BIN)/liuyou --version

install-dev: install $(VENV)/.installed-dev

# Migrates ./var/liuyou.db, builds the demo bank, prints the logins and serves http://$(HOST):$(PORT)/.
demo: install
	$(BIN)/liuyou demo --host $(HOST) --port $(PORT) $(DEMO_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench conftest.py
	$(BIN)/ruff format --check src tests bench conftest.py

typecheck: install-dev
	$(BIN)/mypy

# No model change without its migration.
migrations-check: install-dev
	LIUYOU_DATABASE_URL=sqlite:///:memory: $(BIN)/liuyou makemigrations --check --dry-run

test-py: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -r fEs $(PYTEST_ARGS)

test: lint typecheck migrations-check test-py

# Regenerate the locks after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements/base.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements/dev.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache test-artifacts
