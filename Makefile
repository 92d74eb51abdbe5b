# The two commands a fresh machine needs are `make run` and `make test`.
# Each creates .venv on first use; `make test` also installs the Debian
# packages the integration tests drive (as root, via scripts/setup-system).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench system clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

system:
	bash scripts/setup-system

run: $(STAMP)
	$(BIN)/nbwarden scan examples/ --fail-on never

test: system $(STAMP)
	$(BIN)/ruff check nbwarden tests benchmarks
	$(BIN)/nbwarden rules test
	$(BIN)/pytest -q

bench: system $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) artifacts
