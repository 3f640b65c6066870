# `make run` and `make test` set everything up on a fresh machine (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app portal
export PORTAL_DEMO ?= 1

.PHONY: run test bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-test.txt $(VENV)/.run-deps
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

run: $(VENV)/.run-deps
	$(FLASK) init-db
	$(FLASK) demo-data --if-empty
	PORT=$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()'

# Tests never use the demo switch of `make run`.
test: export PORTAL_DEMO = 0
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test-deps
	$(BIN)/python -m bench

# After adding or changing texts: refresh the catalogs, then translate the new entries.
translations: $(VENV)/.run-deps
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header --no-wrap -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
