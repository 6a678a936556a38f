# Every target sets up its own virtual environment, so a fresh clone with only Python works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: setup demo test test-thorough lint typecheck unit docs docs-serve bench bench-load bench-service bench-engines mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The library and its runtime dependencies only: all that `make demo` needs (its tables are plain text).
$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

# The development extra, into the same environment: whatever `make demo` installed stays and is reused.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME_STAMP)

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

setup: $(STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/advocacy-kpis demo

lint: $(STAMP)
	$(BIN)/ruff check src tests docs/_hooks docs/examples benchmarks tools
	$(BIN)/ruff format --check src tests docs/_hooks docs/examples benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

# The tests run on every core (pytest-xdist): the suite is CPU-bound. Tests that share an expensive
# fixture (the docs site, built once with --strict) form an xdist group and run on one worker.
unit: $(STAMP)
	$(BIN)/python -m pytest --numprocesses=auto --dist loadgroup

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The strict docs build is part of unit: tests/test_docs_site.py builds the site and reads it.
test: lint typecheck unit

test-thorough: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest --numprocesses=auto --dist loadgroup

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# Every metric at growing sizes, then a scorecard grid against Polars and pandas.
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_metrics.py
	$(BIN)/python benchmarks/bench_scorecard.py

bench-load: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py

# One call of the service example (docs/services.md) on 1,000 rows, in CPU milliseconds.
bench-service: $(STAMP)
	$(BIN)/python benchmarks/bench_service.py

# Mutation testing of the numeric core against its unit tests ([tool.mutmut] in pyproject.toml).
# Not part of `make test`: it takes about half an hour on two cores.
mutation: $(STAMP)
	$(BIN)/mutmut run
	$(BIN)/python tools/mutation_scores.py

# The engines on the scorecard benchmark's grid at 100k sample accounts against hand-written Polars and DuckDB
# SQL, then ten million rows generated as frames (about five minutes on two cores).
bench-engines: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_engines.py

clean:
	rm -rf $(VENV) site mutants .pytest_cache .mypy_cache .ruff_cache .hypothesis
