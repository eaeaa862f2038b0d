# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench browser widget oidc-provider clean chaos

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m localstack

test: $(STAMP) browser widget oidc-provider lint
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

# Atlassian's Statuspage widget (npm @statuspage/status-widget, at the version of the lock file) for
# tests/e2e/test_status_page_read_by_statuspage_widget.py; where npm is missing that test skips, saying why.
WIDGET := tests/e2e/statuspage_widget
widget: $(WIDGET)/node_modules/.package-lock.json

$(WIDGET)/node_modules/.package-lock.json: $(WIDGET)/package.json $(WIDGET)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  { cd $(WIDGET) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; } || \
	    echo "npm could not install the Statuspage widget: its test will skip"; \
	else echo "npm is not installed: the Statuspage widget test will skip (apt-get install npm)"; fi

# panva's certified OpenID provider (npm oidc-provider, at the version of the lock file) on loopback for
# the API's sign-in tests (tests/e2e/test_api_authentication.py); where npm is missing they skip, saying why.
OIDC_PROVIDER := tests/e2e/oidc_provider
oidc-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  { cd $(OIDC_PROVIDER) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; } || \
	    echo "npm could not install oidc-provider: the OpenID Connect tests will skip"; \
	else echo "npm is not installed: the OpenID Connect tests will skip (apt-get install npm)"; fi

bench: $(STAMP)
	$(PY) -m bench
	@echo "the slow machine: the hot paths again with the bench pinned to one core (BENCH_CPUS=1)"
	BENCH_CPUS=1 BENCH_ONLY=b1,b2,b7,b8,b13 BENCH_RESULTS=bench/results-one-core.json $(PY) -m bench

# Hosts on one machine (network namespaces, as root): partitions, a slow lossy link, hosts killed.
# Not part of `make test` (minutes long); tests/chaos/ skips, saying why, where namespaces cannot be made.
chaos: $(STAMP)
	$(PY) -m pytest -q -s tests/chaos

clean:
	rm -rf .data .pytest_cache
