# Two commands on a fresh machine:
#   make demo   install reportgen (core + site extra) into .venv and run it on the bundled example, offline
#               (with the SQL console when npm can fetch DuckDB-Wasm; without it, it says how to get it)
#   make test   install reportgen with the judge and test extras (+ Debian chromium, libfaketime, DuckDB-Wasm) and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NPM_DIR := build/npm
NPM_RETRIES ?= 2

.PHONY: demo test site chromium faketime npm duckdb-wasm clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.core: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[site]'
	touch $@

$(VENV)/.test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[judge,site,test]'
	touch $@ $(VENV)/.core

demo: $(VENV)/.core
	@if command -v npm >/dev/null 2>&1 && $(MAKE) --no-print-directory duckdb-wasm NPM_RETRIES=0; then \
	  $(BIN)/reportgen demo --out reportgen-demo --sql-console $(NPM_DIR); \
	else \
	  echo "DuckDB-Wasm could not be fetched (no npm, or no network): the demo site is built without the SQL console"; \
	  $(BIN)/reportgen demo --out reportgen-demo; \
	fi

# The repository's site/ is the bundled example's site, search index included; a test checks it is current.
site: $(VENV)/.core
	rm -f build/site-example.duckdb && mkdir -p build
	$(BIN)/reportgen --db build/site-example.duckdb ingest examples/llama31-8b-paper-qa/*.csv \
	  examples/llama31-8b-paper-qa/*.judge.log --run llama31-8b-paper-qa
	$(BIN)/reportgen --db build/site-example.duckdb build --out site --clean

# The browser tests drive Debian's chromium (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# The SQL console's DuckDB-Wasm (pinned in reportgen/site/duckdb_wasm.py), from the npm registry into build/npm,
# unless it is there already with the pinned files.
npm:
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq npm >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq npm >/dev/null; fi; }

duckdb-wasm: $(VENV)/.core
	@$(BIN)/python -c "from pathlib import Path; from reportgen.site.duckdb_wasm import bundle, find; \
	  bundle(find(Path('$(NPM_DIR)')))" 2>/dev/null || \
	  npm install --no-save --no-audit --no-fund --fetch-retries=$(NPM_RETRIES) --prefix $(NPM_DIR) \
	    $$($(BIN)/python -c "from reportgen.site.duckdb_wasm import NPM_PACKAGES; print(NPM_PACKAGES)")

# A determinism test builds the site under libfaketime (another date for every clock of the process).
faketime:
	@ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libfaketime >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq libfaketime >/dev/null; fi; }

test: $(VENV)/.test chromium faketime npm duckdb-wasm
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) reportgen-demo build dist
