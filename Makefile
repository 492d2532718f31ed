# Two commands do all the set-up: `make demo` and `make test`. Both bootstrap uv and the locked
# environment (uv.lock) first. The offline settings measured in STACK-NOTES are exported here and
# also applied by the code itself (llmops.offline), so nothing depends on the user's shell.
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

.PHONY: help setup demo test lint bench stop

help:
	@echo "make demo   - start Prefect, simulate 30 days of traffic, run every pipeline, show where to look"
	@echo "make test   - the full offline test suite (what CI runs)"
	@echo "make lint   - ruff"
	@echo "make bench  - benchmarks under bench/"
	@echo "make stop   - stop the Prefect server the demo started"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --compile-bytecode --quiet

demo: setup
	$(RUN) llmops demo

test: setup
	$(RUN) pytest

lint: setup
	$(RUN) ruff check . && $(RUN) ruff format --check .

bench: setup
	$(RUN) python bench/ingest_rollup.py

stop: setup
	$(RUN) llmops stop
