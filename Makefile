# Two commands do all the set-up: `make demo` and `make test`. Both bootstrap uv and the locked
# environment (uv.lock) first. The offline settings (docs/stack-notes.md) are exported here and
# also applied by the code itself (llmops.core.offline), so nothing depends on the user's shell.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export LLMOPS_HOME ?= $(CURDIR)/.llmops
export UV_COMPILE_BYTECODE := 1
export DEEPEVAL_TELEMETRY_OPT_OUT := YES
export RAGAS_DO_NOT_TRACK := true
export LITELLM_LOCAL_MODEL_COST_MAP := True
export DO_NOT_TRACK := true
export GX_ANALYTICS_ENABLED := false
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export MLFLOW_DISABLE_TELEMETRY := true
export MLFLOW_MODEL_CATALOG_URI :=

UV := $(shell command -v uv >/dev/null 2>&1 && echo uv || echo python3 -m uv)
RUN := $(UV) run --frozen --no-sync

.PHONY: help setup chromium demo test lint bench stop

help:
	@echo "make demo   - start Prefect, simulate 30 days of traffic, run every pipeline, show where to look"
	@echo "make test   - the full offline test suite (what CI runs)"
	@echo "make lint   - the import contract (lint-imports) and ruff"
	@echo "make bench  - benchmarks under bench/"
	@echo "make stop   - stop the Prefect server the demo started"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --compile-bytecode --quiet

# The browser tests (tests/browser) drive Debian's chromium with playwright; test tools' own
# browser downloads fail offline, so it comes from apt-get (as root; otherwise say how).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests (apt-get) ..."; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: the browser tests will fail; install it with" \
	      "'sudo apt-get update && sudo apt-get install -y chromium'" >&2; \
	  fi; \
	fi

demo: setup
	$(RUN) llmops demo

# The test command checks the import contract (pyproject.toml [tool.importlinter]) and lint first.
test: setup chromium lint
	$(RUN) pytest

lint: setup
	$(RUN) lint-imports --no-cache
	$(RUN) ruff check .
	$(RUN) ruff format --check .

bench: setup
	$(RUN) python bench/ingest_rollup.py
	$(RUN) python bench/collector.py

stop: setup
	$(RUN) llmops stop
