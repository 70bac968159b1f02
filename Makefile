# Two setup commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_ARGS ?=

.PHONY: install install-dev demo test lint typecheck migrations-check test-py lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/base.lock
	$(BIN)/pip install -q --no-deps -e .
	@$(BIN)/liuyou --version

install-dev: install
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock

demo: install
	$(BIN)/liuyou demo --port $(PORT) $(DEMO_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

migrations-check: install-dev
	LIUYOU_DATABASE_URL=sqlite:///:memory: $(BIN)/liuyou makemigrations --check --dry-run

test-py: install-dev
	$(BIN)/pytest -n 2 -q

test: lint typecheck migrations-check test-py

# Regenerate the locks after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements/base.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements/dev.lock

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
