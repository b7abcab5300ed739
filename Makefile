# The targets the README uses. Each creates or reuses the virtual environment in .venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit integration quality bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run docflow on seeds/ with no services; outputs in data/enriched and data/failed.
run: $(STAMP)
	$(BIN)/docflow run seeds/ --out data

## Lint, type-check and run every test (unit, integration, extraction quality gate).
test: lint $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q -m integration tests/integration

quality: $(STAMP)
	$(BIN)/python -m pytest -q -m quality tests/quality

## The figures in the README's benchmark table.
bench: $(STAMP)
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/nlp.py --docs 500
	$(BIN)/python benchmarks/pipeline.py --docs 500
	$(BIN)/python benchmarks/service.py --docs 500
	$(BIN)/python benchmarks/memory.py --docs 5000

clean:
	rm -rf data .mypy_cache .ruff_cache .pytest_cache
