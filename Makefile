# Everything a newcomer needs: `make run` (the product) and `make test` (the tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run demo test test-slow audit bench bench-process lint lock clean

# --compile-bytecode: uv leaves no .pyc behind by default, and where PYTHONDONTWRITEBYTECODE
# is set nothing caches one later, so every `watcher` process would compile what it imports
# (about 1.2 s of a `watcher check`; bench/README.md). pip compiles at install by itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock -e '.[dev]'
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

## bench-process: `watcher check` as whole processes (as cron runs it) beside a bare httpx script
## and urlwatch 2.29 (installed from PyPI into URLWATCH_VENV, outside the repo, on first use)
URLWATCH_VENV ?= $(HOME)/.cache/subsidy-watcher/urlwatch-2.29
bench-process: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 src $(VENV)/lib >/dev/null
	test -x $(URLWATCH_VENV)/bin/urlwatch || { $(PYTHON) -m venv $(URLWATCH_VENV) && \
	  $(URLWATCH_VENV)/bin/pip install --quiet --disable-pip-version-check urlwatch==2.29; } || \
	  echo "urlwatch 2.29 could not be installed: its steps are left out"
	$(BIN)/python bench/run.py --mode process $(BENCH_ARGS) \
	  $$(test -x $(URLWATCH_VENV)/bin/urlwatch && echo --urlwatch $(URLWATCH_VENV)/bin/urlwatch)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## lock: refresh requirements.lock after changing pyproject.toml
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
