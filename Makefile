# Two commands for a new user: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
SPARK_VENV := .venv-spark
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1

SCALE ?= small

.PHONY: run test test-spark dev manifest lint install lock sample bench clean

run: install manifest ## install, then run the whole job on the shipped sample
	$(BIN)/stv run --inbox data/sample

# One worker per core (pytest-xdist), each test module on one worker: the integration tests
# spend much of their time in single-threaded Python (Dagster, dbt's start, the writers), and a
# module's shared fixture (a whole run, say) is made once.
test: install manifest ## install, then run every test tier
	$(BIN)/pytest -n auto --dist loadscope

# Java from Debian when missing; the `spark` extra (pyspark, dbt-spark) from the registry, in
# a virtualenv of its own, so the default install stays without a JVM and Spark's packages.
test-spark: install manifest ## the job on Apache Spark, its marts and exports compared with DuckDB's
	command -v java >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(BIN)/uv pip install --quiet --python $(SPARK_VENV)/bin/python --compile-bytecode \
		-r requirements.lock -e '.[spark]'
	$(SPARK_VENV)/bin/pytest -m spark tests/spark

dev: install manifest ## the Dagster UI with the lineage, on http://localhost:3000
	$(BIN)/dagster dev -w workspace.yaml

# The parse holds for every warehouse path: the path is no part of dbt's profile
# (stv_pipeline/dbt_warehouse.py), and each run starts from this parse.
manifest: install ## build dbt/target/manifest.json, which the Dagster definitions read
	cd dbt && ../$(BIN)/dbt parse --quiet --profiles-dir .

lint: install
	$(BIN)/ruff check stv_pipeline tests bench

# The instance's storage is created here, once (and migrated when Dagster's version changes),
# never by runs racing to create it on a new DAGSTER_HOME.
INSTANCE_STAMP := $(DAGSTER_HOME)/.instance-$(shell cat requirements.lock | cksum | cut -d' ' -f1)

install: $(STAMP) $(INSTANCE_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Installs exactly the tested versions of requirements.lock; re-runs when it or pyproject changes.
# --compile-bytecode: uv writes no .pyc files, and where PYTHONDONTWRITEBYTECODE is set Python
# writes none either, so every process of a run (Dagster's, dbt's, the side process) would
# compile Dagster, dbt and Great Expectations from source again.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $@

$(INSTANCE_STAMP): $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster instance migrate >/dev/null
	rm -f $(DAGSTER_HOME)/.instance-* && touch $@

lock: $(BIN)/python ## re-pin every dependency after changing pyproject.toml
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

sample: install ## regenerate the shipped sample (deterministic)
	$(BIN)/stv sample --out data/sample --seed 2016

bench: install manifest ## time the pipeline against the DuckDB floor and pandas: SCALE=small|medium|national [HISTORY=12]
	$(BIN)/python -m bench.run --scale $(SCALE) $(if $(HISTORY),--history $(HISTORY))

clean:
	rm -rf $(VENV) $(SPARK_VENV) dbt/target dbt/logs data/warehouse data/spark data/exports .dagster_home bench/work
