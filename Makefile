# Two commands do everything on a fresh machine (Python 3.11, pip, venv):
#   make run    set up, build the graph from the bundled Asker data, and serve it
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
HTTP_PROCESSES ?=  # one server process per core on a public address: HTTP_PROCESSES=$$(nproc)

.PHONY: run test setup build docs bench clean

$(BIN)/sdggraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/sdggraph

build: setup
	$(BIN)/sdggraph build

run: build
	$(BIN)/sdggraph serve --host $(HOST) --port $(PORT) $(if $(HTTP_PROCESSES),--http-processes $(HTTP_PROCESSES))

test: setup
	$(BIN)/python -m pytest -q

docs: setup
	$(BIN)/python scripts/ontology_docs.py

bench: build
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_named_queries.py

clean:
	rm -rf build .build-new-* .build-old
