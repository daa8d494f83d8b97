# Ordermesh: `make run` to try it, `make test` to check it. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: run test lint typecheck imports unit setup demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install $(PIP_QUIET) -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import ordermesh, fastapi, sqlalchemy, psycopg, pytest"
	touch $(STAMP)

setup: $(STAMP)

## Migrate, load demo data into an empty database, and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/ordermesh db upgrade
	$(BIN)/ordermesh demo
	ORDERMESH_BOOTSTRAP_ADMIN_KEY=$${ORDERMESH_BOOTSTRAP_ADMIN_KEY:-om_demo_admin_key_change_me} $(BIN)/ordermesh serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

imports: $(STAMP)
	$(BIN)/lint-imports

## Lint, type-check, check the layers, then run every test on SQLite and on a PostgreSQL the tests start
test: lint typecheck imports
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/intake.py --backends sqlite,postgres --clients 12 --duration 20 --workers 1,2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
