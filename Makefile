# One-command set-up: `make run` and `make test` install everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FEEL_BUNDLE := engine/feel/dist/feelin.js
WEB_BUNDLE := web/static/dist/tugas.js web/static/dist/pantau.js

.PHONY: install run engine test lint typecheck pytest pytest-durable bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# IBM_TELEMETRY_DISABLED: form-js's @carbon packages would otherwise report the installation to IBM
node_modules/.installed: package.json package-lock.json
	IBM_TELEMETRY_DISABLED=true npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(FEEL_BUNDLE): node_modules/.installed engine/feel/entry.js
	mkdir -p $(dir $@)
	npx --no-install esbuild engine/feel/entry.js --bundle --format=iife --platform=neutral \
		--target=es2020 --log-level=warning --outfile=$@

# the staff's task form (form-js) and the monitor's diagrams (bpmn-js), pinned in package-lock.json, bundled with
# their CSS and served by the web application
# (package.json's build:web, which the Dockerfile runs too)
$(WEB_BUNDLE) &: node_modules/.installed web/assets/tugas.js web/assets/pantau.js
	npm run --silent build:web

install: $(BIN)/.installed $(FEEL_BUNDLE) $(WEB_BUNDLE)

run: install
	$(BIN)/pbj up

engine: install
	$(BIN)/pbj engine

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# four test processes on two cores: most of the suite waits on sockets and timers, not on the CPU
PYTEST_WORKERS ?= 4

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# the engine's suite again with a durable engine fixture: after each test its command log is replayed and must give
# the same state (the crash and load tests of durable mode already ran above)
pytest-durable: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durable tests/engine --ignore=tests/engine/test_durable_crash.py \
		--ignore=tests/engine/test_durable_load.py $(PYTEST_ARGS)

test: lint typecheck pytest pytest-durable

# figures, not a test: instances/s, push latency, memory (see README, "Performance"); BENCH_ARGS=--quick
$(BIN)/.bench-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench: install $(BIN)/.bench-installed
	$(BIN)/python bench/engine.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules engine/feel/dist web/static/dist .mypy_cache .ruff_cache .pytest_cache
