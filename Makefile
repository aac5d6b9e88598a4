# Everything the project needs is installed from here: a fresh machine runs `make run`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets run serve demo test lint format migrations-check messages check-deploy prod-smoke clean

install: $(VENV)/.installed assets

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	touch $@

assets: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "Serving the demo at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

# Test processes (pytest-xdist, each with its own test database): one per CPU by default.
TEST_WORKERS ?= auto
test: install
	$(PY) -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# ruff, then mypy with django-stubs (its settings and the checked packages: pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

messages: install
	$(PY) manage.py makemessages -l da -l en --no-location --ignore=.venv --ignore=node_modules
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=ci-dummy-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ \
	ALLOWED_HOSTS=opfoelgning.example DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	$(PY) manage.py check --deploy --fail-level WARNING

# Production settings for real: gunicorn + db_worker on PostgreSQL, driven over HTTP.
prod-smoke: install
	bash .ci/prod-smoke

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3
