# The interface everyone uses: make run, make test, make lint, make check-deploy.
# Each target installs what it needs into .venv (Python) and node_modules (front-end assets).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The newest Python >= 3.12 on the machine (.python-version asks pyenv for 3.13).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Tests always run on PostgreSQL and Redis: these servers when they answer, otherwise private,
# throwaway ones that scripts/test-services starts under var/ and stops afterwards.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/prosocial)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/1)
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)
PYTEST_ARGS ?=

.PHONY: help install run test lint fmt migrations-check check-deploy clean

help:
	@echo "make run           start ProSocial on http://127.0.0.1:$(PORT)/ (web + worker + beat)"
	@echo "make test          run the whole test suite on PostgreSQL and Redis"
	@echo "make lint          ruff, formatting, migrations check, mypy"
	@echo "make fmt           format the code"
	@echo "make check-deploy  Django's deployment checks under production settings"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is required (python3.13 or python3.12 on PATH)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is required for the front-end packages."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py devstack --port $(PORT)

test: install
	@bash scripts/ensure-test-packages
	@$(TEST_ENV) PY=$(PY) bash scripts/test-services $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m mypy prosocial accounts campaigns meta_integration meta_sandbox creatives privacy publishing inbox insights

fmt: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Production-like settings with throwaway secrets: must report no issues. Nothing connects to
# the database or Redis: their URLs only select the production backends.
check-deploy: install
	ENVIRONMENT=production \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	FIELD_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	PUBLIC_BASE_URL=https://prosocial.example.com EMAIL_HOST=smtp.example.com \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules staticfiles
