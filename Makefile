# Entry points: `make demo`, `make test` and `make check` (lint, format, types). All create .venv/ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo

.PHONY: demo test test-spark check venv bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/flockwatch demo --out $(DEMO)

# The Spark parity tests start a JVM and take minutes on 2 cores: CI runs them as their own step (`make test-spark`).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not spark"

test-spark: $(STAMP)
	$(BIN)/python -m pytest -q -m spark

# All three gates run even when one fails, so one run shows every finding.
check: $(STAMP)
	@rc=0; \
	$(BIN)/ruff check src tests bench || rc=1; \
	$(BIN)/ruff format --check src tests bench || rc=1; \
	$(BIN)/mypy src || rc=1; \
	exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis .mypy_cache .ruff_cache
