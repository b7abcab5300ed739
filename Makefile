# The targets the README uses. Each creates or reuses the virtual environment in .venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test tools lint unit integration quality bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run docflow on seeds/ with no services; outputs in data/enriched and data/failed.
run: $(STAMP)
	$(BIN)/docflow run seeds/ --out data

## Lint, type-check and run every test the repository holds (unit and integration).
test: lint tools $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit tests/integration

## redis-server and docker-compose, found on the PATH or installed with apt-get.
tools:
	bash .ci/tools

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: tools $(STAMP)
	$(BIN)/python -m pytest -q -m integration tests/integration

## The gates that read the dev corpora in ../shared (extraction, entities, benchmark corpora).
quality: tools $(STAMP)
	$(BIN)/python -m pytest -q -m quality tests/quality

## The figures in the README's benchmark table.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.extraction
	$(BIN)/python -m benchmarks.entities
	$(BIN)/python -m benchmarks.language
	$(BIN)/python -m benchmarks.nlp --docs 500
	$(BIN)/python -m benchmarks.pipeline --docs 500
	$(BIN)/python -m benchmarks.service --docs 500
	$(BIN)/python -m benchmarks.memory --docs 5000

clean:
	rm -rf data .mypy_cache .ruff_cache .pytest_cache
