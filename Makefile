# The two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON := $(VENV)/bin/python
EDGE_PORT ?= 8000
export EDGE_ADDRESS ?= 127.0.0.1:$(EDGE_PORT)
# `make run`'s payment provider: localstripe, which takes any test key; webhook secrets (the provider's, the
# carriers') of this run's own.
export PAYMENT_PROVIDER_PORT ?= 8420
run: export STRIPE_API_BASE ?= http://127.0.0.1:$(PAYMENT_PROVIDER_PORT)
run: export STRIPE_API_KEY ?= sk_test_local
run: export STRIPE_WEBHOOK_SECRET ?= whsec_$(shell python3 -c 'import secrets; print(secrets.token_hex(16))')
run: export CARRIER_WEBHOOK_SECRET ?= $(shell python3 -c 'import secrets; print(secrets.token_hex(16))')
# Debian's packages: the edge (nginx with its headers-more module), and slowhttptest for the hostile tests.
EDGE_PACKAGES := nginx libnginx-mod-http-headers-more-filter
TEST_PACKAGES := slowhttptest
# `nameko run` imports eventlet, which warns that it is deprecated: that one warning is left out.
export PYTHONWARNINGS ?= ignore::Warning:nameko.cli.commands

.PHONY: install migrate edge-packages run lint test bench soak clean

$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev,test]'
	touch $@

install: $(VENV)/.installed

# `make migrate` (so `make run`) first installs the shop into $(VENV), editable; INSTALLED=yes leaves out that step
# for a VENV where it is installed already (`pip install .`, or its wheel). `make -f CHECKOUT/Makefile migrate
# VENV=DIR INSTALLED=yes`, run where its config.yaml is (or with SHOP_CONFIG naming it), migrates with DIR's shop.
INSTALLED :=
migrate: $(if $(INSTALLED),,install)
	$(PYTHON) -m shop_common.operations.migrate

edge-packages:
	@deploy/install-debian-packages $(EDGE_PACKAGES)

run: migrate edge-packages
	@echo
	@echo "The shop (its edge): http://localhost:$(EDGE_PORT)  API docs: http://localhost:$(EDGE_PORT)/docs  (mails land in .mail/new/, Ctrl-C stops everything)"
	@echo "Make a staff account (in another terminal, once the services run):"
	@echo "  echo 'n.rpc.accounts.create_staff(\"staff@example.com\", \"a long staff passphrase\")' | $(VENV)/bin/nameko shell --config config.yaml --interface plain"
	@echo "Then try:"
	@echo "  STAFF=\$$(curl -s -XPOST localhost:$(EDGE_PORT)/auth/token -d '{\"email\": \"staff@example.com\", \"password\": \"a long staff passphrase\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
	@echo "  curl -s -XPOST localhost:$(EDGE_PORT)/products -H \"Authorization: Bearer \$$STAFF\" -d '{\"sku\": \"TEA-1\", \"name\": \"Green tea\", \"price\": \"12.50\", \"stock\": 5, \"weight_grams\": 250}'"
	@echo "  curl -s -XPOST localhost:$(EDGE_PORT)/accounts -d '{\"email\": \"ada@example.com\", \"password\": \"correct horse battery\"}'"
	@echo "  ADA=\$$(curl -s -XPOST localhost:$(EDGE_PORT)/auth/token -d '{\"email\": \"ada@example.com\", \"password\": \"correct horse battery\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
	@echo "  curl -s -XPOST localhost:$(EDGE_PORT)/orders -H \"Authorization: Bearer \$$ADA\" -d '{\"items\": [{\"sku\": \"TEA-1\", \"quantity\": 2}], \"payment_method\": \"pm_card_visa\", \"shipping_address\": {\"name\": \"Ada Lovelace\", \"street_address\": \"Unter den Linden 1\", \"city\": \"Berlin\", \"postal_code\": \"10117\", \"country_code\": \"DE\"}}'"
	@echo "  curl -s localhost:$(EDGE_PORT)/orders/<id from the line above> -H \"Authorization: Bearer \$$ADA\""
	@echo
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" honcho start -f Procfile

# The static checks: ruff (lint, import order, format) on everything, mypy on the domain rules and the vocabulary.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: install edge-packages lint
	@deploy/install-debian-packages $(TEST_PACKAGES)
	$(PYTHON) -m pytest

# Orders per second end to end against a bare Nameko baseline; writes bench/out/ (see bench/RESULTS.md).
bench: install edge-packages
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) -m bench.run $(BENCH_ARGS)

# The shop at 80 % of its sustained rate for SOAK_MINUTES (30), two instances of each service; fails if anything
# keeps growing or an order goes wrong. Writes bench/out/soak.json and soak.png (see bench/RESULTS.md).
soak: install edge-packages
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .mail .pytest_cache .hypothesis
