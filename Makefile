# Two commands on a fresh clone: `make demo` and `make test`. Both bootstrap uv if missing.
SHELL := /bin/bash
PY ?= python3
UV := $(PY) -m uv
VENV := .venv/bin

.PHONY: bootstrap install demo test lint lint-imports migrate check-deploy compose-config axe

# uv from PyPI when the machine has none, then the locked environment in .venv.
bootstrap:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install -q uv
	@$(UV) sync --frozen

install: bootstrap

migrate: bootstrap
	$(VENV)/python manage.py migrate --noinput

# Embedded default: SQLite in var/, background jobs on the filesystem broker, no services.
# SITE_URL follows DEMO_HOST/DEMO_PORT (bin/demo does the same), so email links reach the demo.
demo: migrate
	SITE_URL="$${SITE_URL:-http://$${DEMO_HOST:-127.0.0.1}:$${DEMO_PORT:-8000}}" \
	  $(VENV)/python manage.py seed_demo
	bash bin/demo

# The whole suite. DATABASE_URL / REDIS_URL, when set, put it on PostgreSQL and Redis (and run
# the tests marked postgres and redis); static files come from the app folders in tests, so
# no collectstatic step is needed. Extra arguments: make test PYTEST_ARGS="-k ledger -x".
# With npm on the machine it first installs axe-core (the accessibility test); without, that
# test is skipped with the reason.
test: bootstrap $(if $(shell command -v npm),node_modules/.package-lock.json)
	TESTING=true $(VENV)/pytest $(PYTEST_ARGS)

# axe-core from the npm registry, as package-lock.json pins it (tests/e2e/test_accessibility.py).
axe: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

lint: bootstrap
	$(VENV)/ruff check .

# Apps import only downward (the contracts in pyproject.toml; docs/architecture.md, "Layers").
lint-imports: bootstrap
	$(VENV)/lint-imports

# The production settings as CI checks them.
check-deploy: bootstrap
	DEBUG=false SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  ALLOWED_HOSTS=coop.example.org $(VENV)/python manage.py check --deploy --fail-level WARNING

compose-config:
	docker-compose --env-file .env.example -f docker-compose.yml config -q
