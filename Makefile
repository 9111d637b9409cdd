# The two commands of the README: `make workshop` and `make test`. Both bootstrap .venv
# from a bare Python 3.11 + pip.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fabrique-installed
HOST ?= 127.0.0.1
PORT ?= 8866

.PHONY: install workshop test bench lint clean

install: $(STAMP)

# pip >= 24 first: pip 23 resolves pyam-iamc 3.3 with SQLAlchemy 2.1 and `import pyam` fails.
$(STAMP): pyproject.toml $(wildcard share/jupyter/voila/templates/fabrique/*)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24.2"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

workshop: $(STAMP)
	@mkdir -p var
	@echo "Participants : http://$(HOST):$(PORT)/voila/render/atelier.ipynb"
	@echo "Animation (plénière), à garder pour l'équipe :"
	@$(BIN)/python -m workbench facilitator-token 2>/dev/null | tail -n 1 \
		| sed "s|127.0.0.1:8866|$(HOST):$(PORT)|"
	$(BIN)/python -m voila apps/ --Voila.ip=$(HOST) --port=$(PORT) --no-browser \
		--Voila.port_retries=0

test: $(STAMP)
	bash scripts/test-system-deps.sh
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check workbench tests benchmarks

clean:
	rm -rf $(VENV) var
