# The book's two commands: `make book` and `make test`. Both set up .venv from requirements.txt first.
# Knobs: SCALE=smoke|ci|full (default ci), JOBS=N notebooks in parallel (default 2), CHAPTERS="uoro prednet"
# (default all), DEVICE=auto|cpu|cuda.
SHELL := /bin/bash
PYTHON3 ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
SCALE ?= ci
JOBS ?= 2
DEVICE ?= auto
CHAPTERS ?=
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup run pages html book test unit lint references notebook-tests notebooks bench clean

$(INSTALLED): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

setup: $(INSTALLED)

## run: execute the chapter notebooks (fresh ones are skipped) and regenerate the scorecard and status pages
run: $(INSTALLED)
	$(PY) -m bookkit run $(CHAPTERS) --scale $(SCALE) --jobs $(JOBS) --device $(DEVICE)

pages: $(INSTALLED)
	$(PY) -m bookkit pages

## html: render the executed notebooks into _build/html (warnings are errors)
html: $(INSTALLED)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

## book: run every chapter at $(SCALE), then render the book
book: $(INSTALLED)
	$(MAKE) --no-print-directory run
	$(MAKE) --no-print-directory html

lint: $(INSTALLED)
	$(VENV)/bin/ruff check bookkit tests

unit: $(INSTALLED)
	BOOKKIT_HEADLESS=1 $(PY) -m pytest tests/unit -q -n 2 --durations=10

## notebook-tests: the reference notebooks are in sync with the chapters, and nbval re-executes them
notebook-tests: $(INSTALLED)
	BOOKKIT_HEADLESS=1 BOOKKIT_THREADS=1 $(PY) -m pytest tests/notebooks -q -n 2 --dist loadfile --nbval-lax --nbval-current-env

## references: regenerate the nbval reference notebooks from the chapters (smoke scale)
references: $(INSTALLED)
	$(PY) -m bookkit references $(CHAPTERS)

## test: lint, unit tests, nbval references, every chapter at ci scale, the book build with -W
test: $(INSTALLED)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory notebook-tests
	$(MAKE) --no-print-directory run SCALE=ci
	$(MAKE) --no-print-directory html

## notebooks: export every chapter as a plain .ipynb (no outputs) under notebooks-ipynb/, for services that need one
notebooks: $(INSTALLED)
	@for f in chapters/*/[0-9][0-9]-*.md; do \
	  out=notebooks-ipynb/$${f#chapters/}; $(VENV)/bin/jupytext --quiet --to ipynb -o "$${out%.md}.ipynb" "$$f"; done
	@echo "exported to $(CURDIR)/notebooks-ipynb/"

## bench: each chapter's hot kernels against a baseline, written to the book's benchmark page
bench: $(INSTALLED)
	$(PY) -m bookkit bench $(CHAPTERS) --device $(DEVICE)

clean:
	rm -rf _build book/_generated book/scorecard.md book/status.md
