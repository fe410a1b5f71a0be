# reindus: `make help` lists the targets. The two set-up commands on a fresh machine are
# `make reports` (the main job) and `make test`; both create the environment if it is missing.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MIRROR ?= ../shared/data
STAMP := $(VENV)/.reindus-installed

# `make reports RUN_FLAGS=--force` re-executes notebooks whose recorded run is up to date.
RUN_FLAGS ?=

.PHONY: help env data reports test lint lab bench clean-reports

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "}; /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (reindus)" > /dev/null
	@touch $@

env: $(STAMP) ## Create the virtual environment (.venv) with every dependency
	@echo "environment ready: $(VENV)"

data: $(STAMP) ## Refetch the sources from the mirror (MIRROR=../shared/data) and rebuild data/processed
	REINDUS_MIRROR=$(abspath $(MIRROR)) $(BIN)/reindus fetch
	$(BIN)/reindus build

reports: $(STAMP) ## Main job: execute every notebook on the embedded data and write reports/
	$(BIN)/reindus run all $(RUN_FLAGS)
	$(BIN)/reindus report

# `make test TEST_JOBS=1` runs in one process; the default is one worker per core (pytest-xdist).
TEST_JOBS ?= auto

test: $(STAMP) ## Run the whole test suite, nbval on the notebooks included (in parallel)
	REINDUS_MIRROR=$(abspath $(MIRROR)) $(BIN)/pytest notebooks tests --nbval --nbval-current-env \
	  --nbval-sanitize-with notebooks/nbval-sanitize.cfg -p no:randomly -q -rs \
	  $(if $(filter 1,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder)

lint: $(STAMP) ## ruff on the library, the tests and the notebooks
	$(BIN)/ruff check src tests bench notebooks

lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks

bench: $(STAMP) ## Benchmarks (not tests) -> bench/results/*.json (git-ignored; quoted in bench/README.md)
	REINDUS_MIRROR=$(abspath $(MIRROR)) $(BIN)/python bench/bench_loaders.py
	REINDUS_MIRROR=$(abspath $(MIRROR)) $(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_run_all.py

clean-reports: ## Remove generated, git-ignored outputs (HTML, what-if runs, scratch, leftover staging)
	rm -rf reports/notebooks reports/runs reports/scratch reports/.cache reports/index.html \
	  reports/provenance.html
	find reports data/processed notebooks -depth \( -name '.run-*' -o -name '.stage-*' \
	  -o -name '.*.tmp' -o -name '.*.from-twin.ipynb' \) -exec rm -rf {} +
	@echo "removed the generated, git-ignored outputs; the published reports/ are untouched"
