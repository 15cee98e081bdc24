# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv when needed and install the package with its test extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml plugins/appraisal-retail-pack/pyproject.toml plugins/appraisal-helpdesk-source/pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]' -e plugins/appraisal-retail-pack -e plugins/appraisal-helpdesk-source
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/appraisal demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet pandas
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/data_bench.py && $(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
