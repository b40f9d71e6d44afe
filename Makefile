# The README's two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-dev migrate lint fhir-validate clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/activate
	$(BIN)/pip install -q -e ".[dev]"

# The session key and the event chain's HMAC key, made once and kept: a new chain key would leave the events
# already written unverifiable (rotate with AUDIT_CHAIN_OLD_KEYS instead, docs/operations.md).
instance/secret_key instance/audit_chain_key instance/fhir_token_key:
	mkdir -p instance
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

DEV_ENV = IA_ENV=development SECRET_KEY="$$(cat instance/secret_key)" AUDIT_CHAIN_KEY="$$(cat instance/audit_chain_key)" \
	FHIR_TOKEN_KEY="$$(cat instance/fhir_token_key)"

# Development server on SQLite with demo data. Production: see docs/operations.md (gunicorn).
run: install instance/secret_key instance/audit_chain_key instance/fhir_token_key
	$(DEV_ENV) $(BIN)/flask db upgrade
	$(DEV_ENV) $(BIN)/flask demo-data --if-empty
	$(DEV_ENV) $(BIN)/flask sla sweep
	$(DEV_ENV) $(BIN)/flask equity sweep
	@echo "Sign in at http://127.0.0.1:5000 as a demo user above; the password is in instance/demo-logins.txt."
	$(DEV_ENV) $(BIN)/flask run --host 127.0.0.1 --port 5000

# The whole suite. Browser and PostgreSQL tests skip (with the reason shown) when Chromium or the
# PostgreSQL server binaries are missing; REQUIRE_BROWSER=1 / REQUIRE_POSTGRES=1 turn those skips into failures.
test: install-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

# Everything the FHIR API serves for the full demo, against HL7's FHIR R4 JSON Schema (tools/README.md); a few
# minutes, so not part of `make test`, which checks a small demo the same way.
fhir-validate: install-dev
	$(BIN)/python tools/fhir_validate.py $(FHIR_VALIDATE_ARGS)

clean:
	rm -rf $(VENV) instance *.egg-info
