# media-cli developer entry points. Only python3 (>= 3.10) and make are assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench bench-quick docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q media_cli
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q media_cli
	touch $@ $(STAMP_RUN)

## demo: create .venv, install, start the bundled emulator and run the main jobs against it
demo: $(STAMP_RUN)
	$(BIN)/python scripts/demo.py

## test: install the dev tools and run every check (ruff, mypy --strict, pytest)
test: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

unit: $(STAMP_DEV)
	$(BIN)/python -m pytest tests/unit

## bench: every performance target, as ratios against a baseline measured in the same run
bench: $(STAMP_DEV)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP_DEV)
	$(BIN)/python bench/run.py --quick

## docs: regenerate completions/ and man/ from the app
docs: $(STAMP_RUN)
	$(BIN)/python -m media_cli.cli.docs

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
