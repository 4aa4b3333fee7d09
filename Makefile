# Two entry points for a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv idempotently (a second run only checks stamps: seconds).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ML_STAMP := $(VENV)/.installed-ml
MANIFEST := dbt/target/manifest.json
DBT_SOURCES := $(shell find dbt -path dbt/target -prune -o \( -name '*.sql' -o -name '*.yml' \) -print 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: demo test lint format venv manifest services bench dagster clean

venv: $(STAMP)

$(STAMP): pyproject.toml warehouse/dbt_chdb/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# dbt adapter plugin that runs the clickhouse target on chDB (its own small distribution).
	$(BIN)/python -m pip install --quiet -e warehouse/dbt_chdb
	@touch $(STAMP)

# The heavy `ml` extra (TensorFlow for the LSTM forecaster) is optional for users, but the test
# suite installs it so CI runs those tests too (~1.5 min, 1.6 GB from the local wheels).
$(ML_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[ml]'
	@touch $(ML_STAMP)

# The dbt manifest is prepared at build time, never at import time (Dagster reads it).
manifest: $(MANIFEST)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/irisx dbt prepare
	@touch $(MANIFEST)

demo: $(STAMP) $(MANIFEST)
	$(BIN)/irisx demo

# Dagster UI over the same instance folder as `irisx demo` / `irisx materialize`.
dagster: $(STAMP) $(MANIFEST)
	mkdir -p $${IRISX_DATA_DIR:-.irisx}/dagster
	touch $${IRISX_DATA_DIR:-.irisx}/dagster/dagster.yaml
	DAGSTER_HOME=$$(cd $${IRISX_DATA_DIR:-.irisx}/dagster && pwd) $(BIN)/dagster dev -w workspace.yaml

services:
	@bash scripts/ensure-services.sh

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) $(ML_STAMP) $(MANIFEST) services lint
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP) $(MANIFEST)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) dbt/target dbt/logs .irisx
