# Needs only Python >= 3.11 and make. `make run` starts the sandbox, `make test` is what CI runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall only when pyproject.toml changes.
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast check lint rules clean distclean

help:
	@echo "make run        start the sandbox (embedded PostgreSQL unless DATABASE_URL is set)"
	@echo "make test       ruff, mypy --strict, import contracts, then the whole suite (unit, service, fuzz, e2e)"
	@echo "make test-fast  make check, then the unit and service tiers (no e2e, no fuzzing): the inner loop"
	@echo "make check      ruff, mypy --strict, import contracts, and every cited rule has a test (docs/rules.md)"
	@echo "make rules      regenerate docs/rules.md from docs/rules.toml and the tests' rule markers"
	@echo "make clean      remove caches and build output; make distclean also removes .venv and .mpsandbox"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: '$(PYTHON)' not found; mpsandbox needs Python 3.11 or newer (make PYTHON=python3.12 ...)" >&2; \
		exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: mpsandbox needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) -V 2>&1)." >&2; \
		echo "       run e.g. 'make PYTHON=python3.12 $(MAKECMDGOALS)'" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# A fresh venv's pip may predate editable installs from pyproject.toml (PEP 660): upgrade it first.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(STAMP)

# `make run ARGS="--port 9000 --data-dir /tmp/sb2"` for a second sandbox beside the first.
run: $(STAMP)
	$(BIN)/mpsandbox up $(ARGS)

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/rules.py --check

rules: $(STAMP)
	$(BIN)/python tools/rules.py

lint: check

# pytest uses TEST_DATABASE_URL when set; otherwise each run starts its own embedded PostgreSQL.
test: check
	$(BIN)/pytest

# Unit and service tiers only: everything in-process, no real processes started, no fuzzing.
test-fast: check
	$(BIN)/pytest -q -m "not e2e and not fuzz" --ignore=tests/e2e --ignore=tests/fuzz

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis .import_linter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .mpsandbox
