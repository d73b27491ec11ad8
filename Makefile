# Two commands on a fresh machine: `make test` and `make demo`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := examples/bridge/node_modules/.installed
# Novu's own clients (@novu/api, the novu CLI) for tests/contract; optional packages (a 220 MB agent
# binary the CLI's sync never loads) and install scripts are left out.
CONTRACT_STAMP := tests/contract/node_modules/.installed
WORKFLOW_FILES := $(wildcard .github/workflows/*.yml examples/workflows/*.yml)
# The two npm installs (tens of seconds of unpacking) run while Python installs and lints; each target's
# output is printed whole when it finishes. `make -j1` restores one step at a time.
MAKEFLAGS += --jobs=3 --output-sync=target

.PHONY: install lint test unit demo bench clean

install: $(PY_STAMP) $(NODE_STAMP) $(CONTRACT_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(NODE_STAMP): examples/bridge/package.json examples/bridge/package-lock.json
	cd examples/bridge && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CONTRACT_STAMP): tests/contract/package.json tests/contract/package-lock.json
	cd tests/contract && npm ci --no-audit --no-fund --loglevel=error --omit=optional --ignore-scripts
	touch $@

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOW_FILES)

test: install lint
	$(BIN)/pytest

unit: $(PY_STAMP)
	$(BIN)/pytest --ignore=tests/e2e --ignore=tests/contract

demo: install
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) examples/bridge/node_modules tests/contract/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: install
	$(BIN)/python scripts/benchmark.py
