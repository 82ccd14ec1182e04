# Two commands do all the set-up on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# gthread workers: see README.md, "Serving".
WORKERS ?= 3
THREADS ?= 4
SECRET_FILE := instance/secret_key
export PORTAL_ENV ?= production

.PHONY: run test test-sqlite test-postgres lint bench clean system-test-deps

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# A random key made once per checkout, kept in the instance folder (never committed).
$(SECRET_FILE):
	mkdir -p instance
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@

run: $(VENV)/.installed $(SECRET_FILE)
	export SECRET_KEY="$${SECRET_KEY:-$$(cat $(SECRET_FILE))}"; \
	$(BIN)/flask --app wsgi db upgrade && \
	$(BIN)/flask --app wsgi demo seed --if-empty && \
	exec $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --worker-class gthread \
		--threads $(THREADS) --access-logfile - wsgi:app

# Debian's Chromium for the browser tests and PostgreSQL for the second run, when missing.
system-test-deps:
	@need=(); \
	[ -x /usr/bin/chromium ] || need+=(chromium); \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql); \
	if [ $${#need[@]} -gt 0 ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		echo "Installing $${need[*]} from Debian's packages"; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq "$${need[@]}" >/dev/null; \
	fi

test: $(VENV)/.dev-installed system-test-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(VENV)/.dev-installed
	@echo "== test suite on SQLite =="
	PORTAL_ENV=testing $(BIN)/pytest -q

test-postgres: $(VENV)/.dev-installed
	@echo "== test suite on PostgreSQL =="
	PORTAL_ENV=testing bash .ci/with-postgres $(BIN)/pytest -q

# ruff, and import-linter's layers contract (pyproject.toml): an area imports only the areas below it.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(VENV)/.dev-installed
	@ls bench/*.py | grep -v '/_' | while read -r script; do echo "== $$script"; $(BIN)/python "$$script" || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
