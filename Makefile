# Pond: `make run` serves Pond with demo data; `make test` installs and passes every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# pytest-xdist workers; "auto" = one per core.
TEST_WORKERS ?= auto
TEST_ARGS ?=

.PHONY: install install-dev run test bench lint audit screenshots clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Pond needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	@touch $@

# The tests need the JFrog ML platform extra too (tests/platform: JFrog's SDK and its mock);
# `make run` does not (it installs Pond alone).
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -e '.[dev,jfrog-platform]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py run_pond

test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS) $(TEST_ARGS)

# Refresh the README's screenshots: Pond serving the demo data, in Debian's Chromium.
screenshots: install-dev
	$(PY) docs/screenshots.py

bench: install-dev
	$(PY) bench/run.py

# Known vulnerabilities in the installed packages (needs the advisory database; not in CI).
# Exits 2 with "could not check" when no package could be checked, never a false pass.
audit: install
	$(PIP) install -q pip-audit
	$(PY) manage.py audit_dependencies

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var staticfiles
