# The two quick-start commands: `make run` and `make test`. Both create their own virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint install translations clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## Install, migrate, load the demo on first start, serve on http://127.0.0.1:5000
run: $(STAMP)
	$(BIN)/sipas start

## Install and run the whole test suite (PostgreSQL too when SIPAS_TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest

## Quality gates: ruff (pycodestyle, pyflakes, import order) and mypy on the code; settings in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check sipas analysis surveys
	$(BIN)/mypy

## Re-extract messages and recompile the Vietnamese catalogue after changing texts
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o /tmp/sipas-messages.pot .
	$(BIN)/pybabel update -i /tmp/sipas-messages.pot -d sipas/translations -l vi --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d sipas/translations -l vi

clean:
	rm -rf $(VENV) instance
