# `make run` and `make test` set everything up on a fresh machine (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app portal
export PORTAL_DEMO ?= 1

.PHONY: run test test-fast fuzz lint bench bench-instructions bench-scale audit translations catalogs clean restore-drill

# Compiled translations: build output, not kept in git.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/*.po))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-test.txt $(VENV)/.run-deps
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

translations/%.mo: translations/%.po | $(VENV)/.run-deps
	$(BIN)/pybabel -q compile -i $< -o $@

catalogs: $(CATALOGS)

run: $(VENV)/.run-deps $(CATALOGS)
	$(FLASK) init-db
	$(FLASK) demo-data --if-empty
	PORT=$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()'

# Tests never use the demo switch of `make run`. They run in a random order (pytest-randomly)
# in TEST_WORKERS processes (pytest-xdist; `auto`: one a core, 0: this process alone); the
# summary's last line says how to replay one: make test PYTEST_ARGS=--randomly-seed=N
# Compiled modules are kept (__pycache__, ignored by git) even where the environment says
# not to write them: each worker, and each server a test starts, would otherwise parse and
# compile the same sources again (pytest's rewritten plugins alone cost 6 s of CPU a process).
TEST_WORKERS ?= auto
PYTEST_XDIST := -n $(TEST_WORKERS) --dist worksteal
test test-fast: export PORTAL_DEMO = 0
test test-fast: export PYTHONDONTWRITEBYTECODE =
test: $(VENV)/.test-deps $(CATALOGS)
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) $(PYTEST_ARGS)

# The inner loop: every test but the browser ones (tests/browser/, marked `browser`).
test-fast: $(VENV)/.test-deps $(CATALOGS)
	$(BIN)/python -m pytest -q -m "not browser" $(PYTEST_XDIST) $(PYTEST_ARGS)

# The fuzzer (tests/test_fuzz.py) runs longer than in `make test`: FUZZ_EXAMPLES requests
# (default 20000) drawn by hypothesis over every route, as each kind of visitor.
fuzz: export PORTAL_DEMO = 0
fuzz: $(VENV)/.test-deps $(CATALOGS)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(BIN)/python -m pytest -q -p no:randomly tests/test_fuzz.py $(PYTEST_ARGS)

# ruff (pyflakes, bugbear, import order) and vulture (dead code), configured in pyproject.toml.
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/vulture

bench: $(VENV)/.test-deps $(CATALOGS)
	$(BIN)/python -m bench

# Instructions a request of the main pages in one process, counted by valgrind (Debian's
# `valgrind`; bench/instructions.py): a measure the machine's noise does not move, to
# compare a change turn about with another checkout. Not in `make bench`: a count has no
# figure to meet.
bench-instructions: $(VENV)/.test-deps $(CATALOGS)
	$(BIN)/python -m bench.instructions

# The portal at an operator's scale on PostgreSQL (bench/scale.py, the data's generation in
# bench/scale_data.py; not in `make test` nor `make bench`): 100,000 subscribers and
# 100,000,000 usage records by COPY into a database of its own (portal_scale), the pages and
# a 1,000,000-record import measured, the figures written to docs/scale-run.md. About an
# hour and 30 GB of disk; PORTAL_SCALE_* make it smaller (bench/scale.py says how).
bench-scale: $(VENV)/.test-deps $(CATALOGS)
	nice -n 15 ionice -c3 $(BIN)/python -m bench.scale

# Lighthouse's mobile audit of the main pages (bench/audit.py): npm's lighthouse under
# .audit/ (ignored by git; `make test` never needs npm), Debian's Chromium.
LIGHTHOUSE := .audit/node_modules/.bin/lighthouse
$(LIGHTHOUSE):
	npm install --prefix .audit --no-audit --no-fund --save-exact lighthouse@12.2.3

audit: $(VENV)/.run-deps $(CATALOGS) $(LIGHTHOUSE)
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python -m bench.audit

# The restore drill (docs/operations.md): a demo portal is backed up with deploy/backup.sh,
# restored into an empty database with deploy/restore.sh, started as its unit starts it, and
# every balance, ledger total, session and table row compared. DRILL_SOURCE and DRILL_TARGET
# are database URLs (two SQLite files by default; for PostgreSQL, two empty databases made
# with createdb).
DRILL_DIR := instance/drill
DRILL_SOURCE ?= sqlite:///$(DRILL_DIR)/source.db
DRILL_TARGET ?= sqlite:///$(DRILL_DIR)/restored.db
restore-drill: $(VENV)/.run-deps $(CATALOGS)
	rm -rf $(DRILL_DIR)
	PORTAL_DATABASE_URL=$(DRILL_SOURCE) $(FLASK) init-db
	PORTAL_DATABASE_URL=$(DRILL_SOURCE) $(FLASK) demo-data
	PORTAL_DATABASE_URL=$(DRILL_SOURCE) $(FLASK) restore-drill --into $(DRILL_TARGET)

# After adding or changing texts: refresh the catalogs, then translate the new entries.
translations: $(VENV)/.run-deps
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header --no-wrap -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
