# Từng Nhà — `make run` starts the demo on http://127.0.0.1:8000, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test provision venv frontend lint format bench clean

$(BIN)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

venv: $(BIN)/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	# npm ci refuses a lock without other platforms' optional packages (the registry here has none):
	# fall back to an install that follows the lock and never rewrites it.
	cd frontend && (npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund)
	touch $@

frontend: frontend/node_modules/.installed
	cd frontend && npm run build

# The demo signs tokens with the built-in development key: ENVIRONMENT=development allows it (only here).
run: export ENVIRONMENT ?= development
run: venv frontend
	$(BIN)/tungnha migrate
	$(BIN)/tungnha import-units
	$(BIN)/tungnha seed-demo
	$(BIN)/tungnha serve --host 127.0.0.1 --port 8000

# Debian's Chromium and a running PostgreSQL (installed or started when missing).
provision:
	bash scripts/provision.sh

test: provision venv frontend
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests
	cd frontend && npm test

lint: venv frontend/node_modules/.installed
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app
	cd frontend && npx tsc --noEmit

format: venv
	$(BIN)/ruff format app tests bench
	$(BIN)/ruff check --fix app tests bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist data
