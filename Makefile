# Laurel developer tasks (GNU make). `make` alone lists the targets.
#
# Test settings pass straight through from the environment, e.g.
#   TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
#   TEST_REDIS_URL=redis://127.0.0.1:6379/13 make test
# Extra pytest arguments: make test PYTEST_ARGS='-k leaderboard -x'
# Benchmarks read DATABASE_URL / REDIS_URL from the environment.

.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
VENV_STAMP := $(VENV)/.installed
FLASK := $(VENV)/bin/flask --app app
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: help venv migrate seed run test lint bench clean

help: ## List the targets
	@echo "Laurel make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(VENV_STAMP) ## Create .venv and install the project with test extras

# Re-installs whenever pyproject.toml is newer than the stamp.
$(VENV_STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --disable-pip-version-check -e '.[test]'
	touch $@

migrate: venv ## Apply database migrations (flask db upgrade)
	$(FLASK) db upgrade

seed: venv ## Load demo data if the database is empty
	$(FLASK) laurel seed-demo --if-empty

# The supervisor (recognition/supervisor.py) migrates, seeds an empty demo, then
# runs the web server, a worker and the scheduler as separate processes on one embedded Redis;
# Ctrl-C or TERM (which make passes on to it) stops them all and that Redis.
run: venv ## Migrate, seed, then run the web server, a worker and the scheduler on :$(PORT) until Ctrl-C
	exec $(FLASK) laurel run-demo --port $(PORT)

test: venv ## Run pytest (PYTEST_ARGS, TEST_DATABASE_URL, TEST_REDIS_URL honoured)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv ## ruff check + ruff format --check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: venv ## Run the ingest, leaderboard and mentorship benchmarks (DATABASE_URL, REDIS_URL)
	$(VENV)/bin/python bench/ingest.py
	$(VENV)/bin/python bench/leaderboard.py
	$(VENV)/bin/python bench/mentorship.py

clean: ## Remove .venv, instance/ and caches
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis build test-artifacts *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
