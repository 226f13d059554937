# The front door: every task a person or CI runs. `make help` lists them.
# A fresh clone needs only python3 and make: the first target that needs it creates .venv/.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
COOPS ?= coops
OUTPUTDIR ?= output
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help venv validate lint test bench bench-search html serve devserver clean docs golden

help: ## List every target with one line each
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP) ## Create .venv/ with coopdir and its test tools installed
	@echo "ready: $(BIN)/coopdir"

validate: $(STAMP) ## Check every co-op file in coops/ (or COOPS=folder)
	$(BIN)/coopdir validate $(COOPS)

lint: $(STAMP) ## Run ruff over the code
	$(BIN)/ruff check plugins tests bench pelican.conf.py

test: $(STAMP) ## Lint, validate coops/ and run the whole test suite
	bash .ci/install-test-deps
	$(BIN)/ruff check plugins tests bench pelican.conf.py
	$(BIN)/coopdir validate $(COOPS)
	$(BIN)/python -m pytest

bench: $(STAMP) ## Run the benchmarks (bench/validate.py) and print figures
	$(BIN)/python bench/validate.py

bench-search: $(STAMP) ## Compare search engines at N co-ops (default 10000): bench/search.py
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/search.py $(N)

html: $(STAMP) ## Build the site from COOPS (default coops/) into OUTPUTDIR (default output/)
	$(BIN)/coopdir validate $(COOPS)
	$(BIN)/coopdir build --coops $(COOPS) --output $(OUTPUTDIR)

serve: html ## Build, then serve the site at http://localhost:8000
	$(BIN)/pelican -l -s pelican.conf.py -o $(OUTPUTDIR) -p $(PORT)

devserver: $(STAMP) ## Serve at http://localhost:8000 and rebuild when files change
	$(BIN)/coopdir serve --watch --coops $(COOPS) --output $(OUTPUTDIR) --port $(PORT)

clean: ## Remove the built site and caches (keeps .venv/)
	rm -rf $(OUTPUTDIR) $(dir $(OUTPUTDIR)).$(notdir $(OUTPUTDIR)).cache $(dir $(OUTPUTDIR)).$(notdir $(OUTPUTDIR)).spare $(dir $(OUTPUTDIR)).$(notdir $(OUTPUTDIR)).staging cache .pytest_cache .ruff_cache .coopdir-cache

docs: $(STAMP) ## Regenerate the field table in CONTRIBUTING.md from the schema
	$(BIN)/python -c "from pathlib import Path; from coopdir.docs import update_contributing; update_contributing(Path('CONTRIBUTING.md'))"

golden: $(STAMP) ## Rebuild tests/golden/ from tests/fixtures/directory (review the diff after)
	SOURCE_DATE_EPOCH=1793491200 COOPDIR_KEYS_DIR=tests/fixtures/keys $(BIN)/coopdir build --coops tests/fixtures/directory --output tests/golden
