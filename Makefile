# Verbs: setup (everything, once), test, reports, validate, bench (on demand), clean.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test reports validate clean bench

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest

reports: setup
	$(BIN)/briefings validate
	$(BIN)/briefings build

validate: setup
	$(BIN)/briefings validate
	$(BIN)/briefings verify-sources ../shared/seeds

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf reports/* build .pytest_cache
	git checkout -- reports 2>/dev/null || true
