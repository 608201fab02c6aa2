# Two commands: `make run` (install, migrate, demo data, serve and run the scheduled jobs:
# the Procfile's web and scheduler, started by honcho) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app feedback.app
PORT   ?= 8000
PUBLIC_URL ?= http://127.0.0.1:$(PORT)
export PORT PUBLIC_URL

.PHONY: run test test-slow test-js install install-test migrate demo test-browser chromium screenshots translations clean lock lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exact versions come from the lock files (requirements/*.txt, made by `make lock` from the
# ranges in setup.cfg); the project itself is installed on top without resolving anything.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml requirements/app.txt
	$(BIN)/pip install --quiet -r requirements/app.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.txt
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

run: demo
	@echo ""
	@echo "Counter feedback is starting at http://127.0.0.1:$(PORT)/"
	@echo "Kiosks (one-time links: each makes the browser that opens it a kiosk) and phone surveys:"
	@$(FLASK) demo links
	@echo "  Admin site:                  http://127.0.0.1:$(PORT)/admin/"
	@echo "    sign in as                 admin@example.gov / demo-admin-password"
	@echo "    or (Houston only)          manager.houston@example.gov / demo-manager-password"
	@echo "  API documentation (OpenAPI): http://127.0.0.1:$(PORT)/api/v1/openapi.json"
	@echo "  Health check:                http://127.0.0.1:$(PORT)/healthz"
	@echo "  Scheduled jobs (alerts ...): http://127.0.0.1:$(PORT)/admin/jobs (the scheduler runs beside the web server)"
	@echo ""
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile

# The fast suite, for running often. CI also runs the slow tests, PostgreSQL and the browser.
test: install-test
	$(BIN)/pytest -q -m "not browser and not slow"

test-slow: install-test
	$(BIN)/pytest -q -m "slow and not browser"

# Refresh the lock files from setup.cfg (newest versions the ranges allow).
PIP_COMPILE = $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --upgrade
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(PIP_COMPILE) -o requirements/app.txt setup.cfg
	$(PIP_COMPILE) --extra test -o requirements/test.txt setup.cfg

# Lint, format and types (settings in pyproject.toml; mypy checks feedback, admin_app and kiosk_app).
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The kiosk's JavaScript sender (backoff, 413 halving, refused items, quarantine): node's own test runner.
test-js:
	node --test tests/kiosk/

# Browser tests drive Debian's Chromium through Playwright (never `playwright install`).
# Chromium, and fonts for every visitor language (CJK from Noto; Arabic and Vietnamese are in
# DejaVu, which chromium pulls in), so the browser tests measure real glyphs, not empty boxes.
chromium:
	@{ test -x /usr/bin/chromium && fc-list :lang=zh-cn | grep -q . && fc-list :lang=ko | grep -q .; } || { \
	  echo "Installing Debian's chromium and CJK fonts (needs root)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; }

test-browser: install-test chromium
	$(BIN)/pytest -q -m browser

screenshots: install-test chromium
	SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q -m browser tests/browser/test_screenshots.py tests/browser/test_admin_dashboard.py tests/browser/test_admin_home.py \
	  tests/browser/test_admin_reporting.py tests/browser/test_admin_comments.py tests/browser/test_admin_alerts.py \
	  tests/browser/test_admin_triage.py \
	  tests/browser/test_morning.py tests/browser/test_phone_charts.py \
	  tests/browser/test_languages.py tests/browser/test_scoreboard.py tests/browser/test_posters.py

# Visitor text: extract, merge into the catalogues, compile (the .mo files are committed).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l --no-location --omit-header -o feedback/translations/messages.pot .
	$(BIN)/pybabel update -i feedback/translations/messages.pot -d feedback/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d feedback/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
