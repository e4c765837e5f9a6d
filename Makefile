# Two commands on a fresh machine:
#   make demo   install reportgen (core + site extra) into .venv and run it on the bundled example, offline
#   make test   install reportgen with the judge and test extras (+ Debian chromium and libfaketime) and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test site chromium faketime clean

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
	$(BIN)/reportgen demo --out reportgen-demo

# The repository's site/ is the bundled example's site, search index included; a test checks it is current.
site: $(VENV)/.test
	rm -f build/site-example.duckdb && mkdir -p build
	$(BIN)/reportgen --db build/site-example.duckdb ingest examples/llama31-8b-paper-qa/*.csv \
	  examples/llama31-8b-paper-qa/*.judge.log --run llama31-8b-paper-qa
	$(BIN)/reportgen --db build/site-example.duckdb build --out site --clean

# The browser tests drive Debian's chromium (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# A determinism test builds the site under libfaketime (another date for every clock of the process).
faketime:
	@ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libfaketime >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq libfaketime >/dev/null; fi; }

test: $(VENV)/.test chromium faketime
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) reportgen-demo build dist
