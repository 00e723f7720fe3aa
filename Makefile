# Entry points: `make demo`, `make test` and `make check` (lint, format, types). All create .venv/ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo

.PHONY: demo test check venv bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/flockwatch demo --out $(DEMO)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

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
