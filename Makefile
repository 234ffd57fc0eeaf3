# Two commands on a fresh clone: `make demo` and `make test`. Both bootstrap uv if missing.
SHELL := /bin/bash
PY ?= python3
UV := $(PY) -m uv
VENV := .venv/bin

.PHONY: bootstrap install demo test lint migrate

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install -q uv
	@$(UV) sync --frozen

install: bootstrap

demo: bootstrap
	$(VENV)/python manage.py migrate --noinput
	$(VENV)/python manage.py seed_demo
	bash bin/demo

test: bootstrap
	TESTING=true $(VENV)/pytest $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/ruff check .
