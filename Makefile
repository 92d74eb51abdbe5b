# The two commands a fresh machine needs are `make run` and `make test`.
# Each creates .venv on first use; `make test` also installs the Debian
# packages the integration tests drive (as root, via scripts/setup-system).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench fuzz screenshots catalogs system proxy clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,hub]'
	touch $(STAMP)

system:
	bash scripts/setup-system

# configurable-http-proxy (npm) in ./node_modules, for JupyterHub
proxy:
	bash scripts/install-proxy

# the demo platform: JupyterHub on 127.0.0.1:8000 with the gate, the agent, the nbwarden service
# and the SQLite ledger (nbwarden/hub/demo_config.py; settings are NBWARDEN_* environment variables)
run: system $(STAMP) proxy
	$(BIN)/nbwarden scan examples/ --fail-on never
	$(BIN)/python -m nbwarden.hub

test: system $(STAMP) proxy
	$(BIN)/ruff check nbwarden tests benchmarks
	$(BIN)/nbwarden rules test
	$(BIN)/pytest -q

bench: system $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

# mutation fuzzing from real cells (FUZZ_SECONDS, default 180; add real notebooks with FUZZ_SEEDS=eval/data)
FUZZ_SECONDS ?= 180
FUZZ_SEEDS ?= $(wildcard eval/data)
fuzz: $(STAMP)
	$(BIN)/python benchmarks/fuzz.py --seconds $(FUZZ_SECONDS) $(foreach d,$(FUZZ_SEEDS),--seeds $(d))

# the message catalogs: extract the marked texts, add new ones (empty) to each language (README, "Languages")
catalogs: $(STAMP)
	bash scripts/catalogs

# the README's pictures, as the browser tests last took them (artifacts/ is ignored; docs/ is committed)
SHOTS := appeals-notebook-message appeals-user-page dashboard-charts appeals-policy-page i18n-notebook-message-de
screenshots:
	mkdir -p docs
	for s in $(SHOTS); do cp artifacts/$$s.png docs/$$s.png; done

clean:
	rm -rf $(VENV) artifacts node_modules
