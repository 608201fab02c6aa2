# Two commands: `make run` (install, migrate, demo data, serve) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app feedback.app
PORT   ?= 8000
export PORT

.PHONY: run test install install-test migrate demo serve test-pg test-browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
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
	@echo "  API documentation (OpenAPI): http://127.0.0.1:$(PORT)/api/v1/openapi.json"
	@echo "  Health check:                http://127.0.0.1:$(PORT)/healthz"
	@echo "  Demo admin sign-in:          admin@example.gov / demo-admin-password"
	@echo "  Enrol a kiosk:               $(FLASK) device enroll HOU-C1"
	@echo ""
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install-test
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) instance .pytest_cache
