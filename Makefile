# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m starter.local_stack

test: $(STAMP) browser lint
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Debian's chromium for the browser tests (tests/e2e/test_web_ui_in_a_browser.py), from the
# machine's package registry when it is missing and root may install it; otherwise they skip, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && \
	    apt-get install -y -qq chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium is not installed and cannot be here: the browser tests will skip"

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf .data .pytest_cache
