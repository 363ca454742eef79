# The two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON := $(VENV)/bin/python
GATEWAY_PORT ?= 8000
export WEB_SERVER_ADDRESS ?= 0.0.0.0:$(GATEWAY_PORT)
# `nameko run` imports eventlet, which warns that it is deprecated: that one warning is left out.
export PYTHONWARNINGS ?= ignore::Warning:nameko.cli.commands

.PHONY: install migrate run test bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev,test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PYTHON) -m shop_common.persistence.migrate

run: migrate
	@echo
	@echo "Gateway: http://localhost:$(GATEWAY_PORT)   (mails land in .mail/new/, Ctrl-C stops everything)"
	@echo "Try:"
	@echo "  curl -s -XPOST localhost:$(GATEWAY_PORT)/products -d '{\"sku\": \"TEA-1\", \"name\": \"Green tea\", \"price\": \"12.50\", \"stock\": 5}'"
	@echo "  curl -s -XPOST localhost:$(GATEWAY_PORT)/orders -d '{\"customer_email\": \"ada@example.com\", \"items\": [{\"sku\": \"TEA-1\", \"quantity\": 2}]}'"
	@echo "  curl -s localhost:$(GATEWAY_PORT)/orders/<id from the line above>"
	@echo
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" honcho start -f Procfile

test: install
	$(PYTHON) -m pytest

# Orders per second end to end against a bare Nameko baseline; writes bench/out/ (see bench/RESULTS.md).
bench: install
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mail .pytest_cache
