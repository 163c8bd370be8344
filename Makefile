# Three commands matter: `make sandbox` (try it), `make test` and `make run`. Everything else is a
# helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: sandbox run test lint typecheck unit migrate bench-storage lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
	  || { echo "intake-bot needs Python 3.11 or newer as '$(PYTHON)' (set PYTHON=...)." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

## Set up and try the bot without Telegram: a web chat on 127.0.0.1 with a reporter, a lawyer and a
## coordinator, the real bot behind it (SANDBOX_ARGS="--port 9000 --data-dir ./sandbox-data").
sandbox: $(STAMP)
	@$(BIN)/intake-bot sandbox $(SANDBOX_ARGS)

## Set up, apply migrations, and run the bot (reads .env and the environment).
run: $(STAMP)
	@$(BIN)/intake-bot run

## Set up and pass every check: lint, types, tests on SQLite and PostgreSQL.
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check bot storage migrations tests
	$(BIN)/ruff format --check bot storage migrations tests

typecheck: $(STAMP)
	$(BIN)/mypy bot storage

unit: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

migrate: $(STAMP)
	@$(BIN)/intake-bot migrate

bench-storage: $(STAMP)
	$(BIN)/python -m tests.benchmarks.storage_bench

lock:
	rm -rf /tmp/intake-lock && $(PYTHON) -m venv /tmp/intake-lock
	/tmp/intake-lock/bin/pip install --quiet -e '.[test]'
	{ head -n 2 requirements.lock; /tmp/intake-lock/bin/pip freeze --exclude-editable | sort -f; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
