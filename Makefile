# Pantau — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/demo.duckdb
CASES  ?= 20000
PORT   ?= 8501
export PM4PY_SHOW_PROGRESS_BAR := False

.PHONY: run test lint bench demo clean install install-test browser pdf-libs screenshots notebook

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per extra, rebuilt whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-notebook: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[notebook]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's Chromium for the end-to-end test (Playwright cannot download its own browser here).
browser:
	@bash scripts/install-chromium.sh

# Debian's Pango (WeasyPrint), DejaVu fonts and poppler-utils (pdftotext) for PDF documents.
pdf-libs:
	@bash scripts/install-pdf.sh

$(DB): | $(VENV)/.installed
	$(BIN)/pantau demo --db $(DB) --cases $(CASES)

demo: $(DB)

run: $(VENV)/.installed pdf-libs $(DB)
	$(BIN)/pantau dashboard --db $(DB) --port $(PORT)

# Two workers (pytest-xdist): the suite stays under ten minutes on a 2-core machine.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test browser pdf-libs
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

# Refresh docs/screenshots/ (the e2e test writes to a temporary folder otherwise).
screenshots: $(VENV)/.installed-test browser
	PANTAU_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_dashboard_e2e.py

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data/demo.duckdb .pytest_cache .ruff_cache

# JupyterLab for the analyst notebook, on 127.0.0.1 only (reads $(DB), built if missing).
notebook: $(VENV)/.installed-notebook $(DB)
	PANTAU_DB=$(abspath $(DB)) $(BIN)/jupyter lab --ip 127.0.0.1 notebooks/analyst_quickstart.ipynb
