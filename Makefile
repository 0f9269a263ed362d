# Everything a newcomer needs: `make run` (the product) and `make test` (the tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run demo test test-slow audit bench lint lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: set up and run the product: the offline demo (2022–2025 replayed, admin page on :8000)
run: demo

## demo: create the virtualenv, install, import the bundled history, check live, serve the admin page
demo: $(STAMP)
	$(BIN)/watcher demo

## test: set up and run the whole test suite
test: $(STAMP)
	$(BIN)/pytest

## test-slow: the long reliability variants (many kill seeds, 1,000-source load)
test-slow: $(STAMP)
	$(BIN)/pytest -m slow tests/reliability

## audit: known vulnerabilities in requirements.lock (PyPI's data; says so when unreachable)
audit: $(STAMP)
	scripts/pip_audit.sh

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## lock: refresh requirements.lock after changing pyproject.toml
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
