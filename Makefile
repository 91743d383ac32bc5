# Verbs: setup (everything, once), test, reports, validate, catalogs, pack, bench and bench-extract (on demand), clean.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
LOCKS := requirements/build.txt requirements/runtime.txt requirements/test.txt

.PHONY: setup test test-fast lint typecheck reports validate catalogs pack clean bench bench-extract

setup: $(STAMP)

# Debian packages, a venv, and the exact, hash-checked versions of both locks; then the
# project itself (editable) and a consistency check; then axe-core for the accessibility
# tests, at the version and integrity package-lock.json records (npm ci: nothing is
# fetched when the tests run).
$(STAMP): $(LOCKS) pyproject.toml scripts/system-deps.sh package.json package-lock.json
	bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes -r requirements/build.txt
	$(PIP) install --require-hashes -r requirements/runtime.txt
	$(PIP) install --require-hashes -r requirements/test.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pip check
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest

# The unit tests only (no build, no notebook): under a minute.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# The quality gate CI runs before the tests: ruff (lint and format) and mypy (strict on the package).
lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

# compileall: the package's bytecode is written once (an editable install writes none, and
# PYTHONDONTWRITEBYTECODE may be set), not compiled again by every process of a build.
reports: setup
	$(BIN)/python -m compileall -q src
	$(BIN)/briefings validate
	$(BIN)/briefings build

# Evidence is checked against the source texts in SOURCE_TEXTS (space separated; the texts
# stay out of the repository). An absent text fails the check unless ALLOW_ABSENT=1.
SOURCE_TEXTS ?= ../shared/seeds ../source-texts
validate: setup
	$(BIN)/briefings validate
	$(BIN)/briefings verify-sources $(SOURCE_TEXTS) $(if $(ALLOW_ABSENT),,--require-all)

# Interface strings: extract them from the code and templates, and merge them into each
# catalog. No location comments and a sorted template keep an update's diff small; no
# fuzzy matching, so a new string is untranslated (the tests say so), never guessed.
catalogs: setup
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output --omit-header \
		--no-wrap -o templates/locale/briefings.pot .
	$(BIN)/pybabel update -i templates/locale/briefings.pot -d templates/locale -D briefings \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --no-wrap

pack: setup
	$(BIN)/briefings pack
	$(BIN)/briefings proof

bench: setup
	$(BIN)/python -m compileall -q src
	$(BIN)/python bench/run.py

# The extractor against data/measures.csv: recall and precision over every source text in
# EXTRACT_FOLDERS (space separated), written to BENCHMARKS.md.
EXTRACT_FOLDERS ?= ../shared/seeds
bench-extract: setup
	$(BIN)/python bench/extract.py $(foreach folder,$(EXTRACT_FOLDERS),--folder $(folder))

clean:
	rm -rf reports/* reports/.briefings* build .pytest_cache node_modules
	git checkout -- reports 2>/dev/null || true
