# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv when needed and install the package with its test extras, at the exact
# versions of constraints.txt (the lock of tested versions; `make lock` refreshes it).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := $(CURDIR)/constraints.txt
# PIP_CONSTRAINT, unlike `-c`, also reaches the isolated environments that build the
# editable packages, so the build backend is locked too.
PIP := PIP_CONSTRAINT=$(LOCK) $(BIN)/python -m pip --disable-pip-version-check
PACKAGES := -e '.[test,postgres,spark,spark-connect]' -e plugins/appraisal-retail-pack -e plugins/appraisal-helpdesk-source

.PHONY: demo test check bench bench-quick lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt plugins/appraisal-retail-pack/pyproject.toml plugins/appraisal-helpdesk-source/pyproject.toml
	$(PIP) install --quiet $(PACKAGES)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/appraisal demo

test: $(STAMP)
	$(BIN)/python -m pytest

# The habits CI keeps: the lint rules (ruff) and the types (mypy; strict on the stages a plugin
# author builds on), both configured in pyproject.toml.
check: $(STAMP)
	$(PIP) install --quiet -e '.[dev]'
	$(BIN)/ruff check src tests plugins bench
	$(BIN)/mypy

# Every benchmark runs, whatever an earlier one found; the target fails at the end if any
# missed a target or failed. BENCH_ARGS goes to data_bench.py (e.g. BENCH_ARGS=--huge for 100M rows).
# `make bench-quick` is a smoke check: the 1M-row shapes, one timed run each.
BENCH_SCRIPTS = startup data_bench agent_bench render_bench engine_bench

bench: $(STAMP)
	$(PIP) install --quiet -e '.[bench]'
	@failed=""; \
	for script in $(BENCH_SCRIPTS); do \
	  args=""; [ $$script = data_bench ] && args="$(BENCH_ARGS)"; \
	  $(BIN)/python bench/$$script.py $$args || failed="$$failed $$script"; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: missed or failed in:$$failed"; exit 1; fi

bench-quick: $(STAMP)
	$(PIP) install --quiet -e '.[bench]'
	@failed=""; \
	$(BIN)/python bench/startup.py --runs 3 || failed="$$failed startup"; \
	$(BIN)/python bench/data_bench.py --quick || failed="$$failed data_bench"; \
	$(BIN)/python bench/agent_bench.py --quick || failed="$$failed agent_bench"; \
	if [ -n "$$failed" ]; then echo "make bench-quick: missed or failed in:$$failed"; exit 1; fi

# Resolve every dependency afresh (newest versions the ranges in pyproject.toml allow) in a
# throw-away environment and write what it installed to constraints.txt. Run `make test`
# afterwards: the lock is only worth committing once the suite passes on it.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test,postgres,spark,spark-connect,bench,dev]' -e plugins/appraisal-retail-pack -e plugins/appraisal-helpdesk-source hatchling
	{ echo "# The lock of tested versions, written by 'make lock' on $$(date +%F) with $$(.lock-venv/bin/python --version)."; \
	  echo "# make demo, make test and .ci/run install exactly these; pyproject.toml keeps the ranges users get."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^setuptools=='; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .lock-venv build dist .pytest_cache
