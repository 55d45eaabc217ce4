# Two commands for a newcomer: `make demo` and `make test`. Everything else here serves those two.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test lint format bench clean

# Runtime dependencies only (the demo); the marker file re-installs when requirements change.
$(VENV)/.deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.deps $@

## Run the product on the embedded default (SQLite + server-less Celery broker): web, worker and beat.
demo: $(VENV)/.deps
	DEBUG=1 $(PY) manage.py rundemo

## The whole suite on throwaway real PostgreSQL and Redis servers (installed with apt-get when root).
test: $(VENV)/.deps-dev
	$(VENV)/bin/ruff check .
	$(PY) tests/servers.py -- $(PY) -m pytest $(PYTEST_ARGS)

## Benchmarks on throwaway servers; figures are ratios to a baseline measured in the same run (bench/README.md).
bench: $(VENV)/.deps-dev
	$(PY) tests/servers.py -- $(PY) bench/queue_page.py $(BENCH_ARGS)

lint: $(VENV)/.deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.deps-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
