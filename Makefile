# The two commands of the README: `make workshop` and `make test`. Both bootstrap .venv
# from a bare Python 3.11 + pip.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fabrique-installed
HOST ?= 127.0.0.1
PORT ?= 8866
PARTICIPANTS ?= 50

.PHONY: install workshop test bench lint clean

install: $(STAMP)

# pip >= 24 first: pip 23 resolves pyam-iamc 3.3 with SQLAlchemy 2.1 and `import pyam` fails.
$(STAMP): pyproject.toml $(wildcard share/jupyter/voila/templates/fabrique/*)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24.2"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

# PARTICIPANTS sizes the room: that many pre-started atelier kernels plus 10 % for reloads,
# filled before the doors open. The server prints « Salle prête : 55 postes sur 55 » when
# every seat is ready (the same signal as GET /fabrique/salle, which the Plénière shows).
# HOST=0.0.0.0 serves the room's network; PUBLIC_URL=… overrides the detected address.
workshop: $(STAMP)
	@mkdir -p var
	@$(BIN)/python -m workbench facilitator-token --host $(HOST) --port $(PORT)
	$(BIN)/python -m workbench.server apps/ --Voila.ip=$(HOST) --port=$(PORT) --no-browser \
		--Voila.port_retries=0 --participants=$(PARTICIPANTS)

# the whole suite, then the unit suite again at three awkward dates (libfaketime)
test: $(STAMP)
	bash scripts/test-system-deps.sh
	$(BIN)/python -m pytest
	bash scripts/test-under-faketime.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check workbench tests benchmarks

clean:
	rm -rf $(VENV) var
