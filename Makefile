# gtsms — the two commands of the README: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PY313 ?= $(shell if [ -x /root/.pyenv/versions/3.13.0/bin/python ]; then echo /root/.pyenv/versions/3.13.0/bin/python; else command -v python3.13; fi)
UV := $(PY313) -m uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help venv system services run test lint fix migrate demo worker beat web bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(PY313):
	@echo "Python 3.13 est introuvable : installez-le ou indiquez son chemin (make PY313=/chemin/python3.13)"; exit 1

venv: ## Create .venv with uv (Python 3.13) from uv.lock
	@[ -n "$(PY313)" ] || { echo "Python 3.13 est introuvable (make PY313=/chemin/python3.13)"; exit 1; }
	@$(PY313) -m uv --version >/dev/null 2>&1 || $(PY313) -m pip install -q uv
	@UV_PYTHON=$(PY313) $(UV) sync --frozen --quiet

system: ## Install the Debian libraries WeasyPrint (and, for tests, Chromium) need
	@WITH_BROWSER=$(WITH_BROWSER) scripts/system-deps.sh

services: ## Make sure PostgreSQL and Redis answer on loopback (start them if not)
	@scripts/services.sh

migrate: venv services ## Apply migrations
	@$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo data (idempotent)
	@$(PY) manage.py load_demo

run: venv system services ## Start gtsms with demo data: web, worker, beat (Ctrl-C stops them)
	@HOST=$(HOST) PORT=$(PORT) scripts/run.sh

test: ## Lint, migration check, deploy check and the whole test suite (browser tests included)
	@$(MAKE) --no-print-directory venv
	@$(MAKE) --no-print-directory system WITH_BROWSER=1
	@$(MAKE) --no-print-directory services
	@$(MAKE) --no-print-directory lint
	@DJANGO_SETTINGS_MODULE=gtsms.settings.test $(PY) manage.py makemigrations --check --dry-run --noinput
	@DJANGO_SETTINGS_MODULE=gtsms.settings.prod DJANGO_SECRET_KEY=ci-dummy-production-secret-key-that-is-long-and-random-0123456789abcdef \
		DJANGO_ALLOWED_HOSTS=gtsms.example.org DJANGO_SITE_URL=https://gtsms.example.org DATABASE_URL=postgres://postgres@127.0.0.1:5432/gtsms \
		CELERY_BROKER_URL=redis://127.0.0.1:6379/0 $(PY) manage.py check --deploy --fail-level WARNING
	@$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: venv ## ruff check and ruff format --check
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

fix: venv ## ruff fix and format
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

bench: venv services ## Run the benchmarks under tests/perf (they print their figures)
	@for f in tests/perf/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean: ## Remove the virtual environment and local files
	rm -rf $(VENV) var
