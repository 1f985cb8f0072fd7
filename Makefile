# One entry point for people and CI. `make help` lists every workflow.
# Everything the project needs is installed by these targets into .venv/ (functions, tests, CDK),
# .venvs/triton (Triton server + models) and .venvs/localstack (LocalStack): nothing relies on the machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12: a Lambda runtime, and the newest version the nvidia-pytriton wheel supports (README "Python").
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
UV_VERSION := 0.13.9
UV := .tools/uv/bin/uv
PY := .venv/bin/python
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export UV_PYTHON_DOWNLOADS := never

help: ## list the workflows
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (looked under ~/.pyenv/versions and on PATH)"; exit 1; }
	python3 -m venv .tools/uv
	.tools/uv/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON312)
	touch $@

setup: .venv/.installed setup-triton setup-localstack setup-terminal ## install everything: .venv, Triton env, LocalStack env
.PHONY: help setup

# tmux: the e2e tests run the `speech` CLI in a real terminal and read its screen (tests/e2e/test_client_and_cli.py)
setup-terminal:
	@command -v tmux >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends tmux; }
.PHONY: setup-terminal

# --- Triton cluster (triton_cluster/) -----------------------------------------------------------------
TRITON_VENV := .venvs/triton
TRITON_APT := espeak-ng apertium apertium-urd-hin apertium-eng-spa pocketsphinx-testdata
SILERO_VAD := silero-vad==6.2.0

setup-triton: $(TRITON_VENV)/.installed ## Triton server env (.venvs/triton) and the models' system packages
	@missing=$$(for p in $(TRITON_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@# ITN/TN grammars, compiled once per package version into ~/.cache/speech-platform (outside the clone; minutes
	@# the first time, instant after): the itn and text_normalization models only read them
	$(TRITON_VENV)/bin/python -m triton_cluster.text_grammars compile

# silero-vad goes in without its dependencies: they pull torch; the model only needs the ONNX file it ships.
$(TRITON_VENV)/.installed: triton_cluster/requirements.lock | $(UV)
	$(UV) venv -q --allow-existing --python $(PYTHON312) $(TRITON_VENV)
	VIRTUAL_ENV=$(TRITON_VENV) $(UV) pip sync -q triton_cluster/requirements.lock
	VIRTUAL_ENV=$(TRITON_VENV) $(UV) pip install -q --no-deps '$(SILERO_VAD)'
	touch $@

triton-lock: | $(UV) ## re-pin the Triton env from triton_cluster/requirements.in
	$(UV) pip compile -q --python $(PYTHON312) triton_cluster/requirements.in -o triton_cluster/requirements.lock

triton-up: setup-triton ## start tritonserver with triton_cluster/model_repository (ports: TRITON_HTTP_PORT...)
	$(PY) -m triton_cluster.launcher up

triton-down: ## stop the server started by triton-up
	$(PY) -m triton_cluster.launcher down

bench-triton: setup ## Triton benchmark: p50/p95 and throughput per model, concurrency 1 vs 8, batching on/off
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_triton.py

bench-text-normalization: setup ## latency ITN and TN add to ASR and TTS (p50/p95, ratios), real tritonserver (~1 min)
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_text_normalization.py
.PHONY: setup-triton triton-lock triton-up triton-down bench-triton bench-text-normalization

# --- local cloud (local_cloud/) --------------------------------------------------------------
PYTHON313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null))
LOCALSTACK_LOCK := local_cloud/localstack-requirements.lock

setup-localstack: .venvs/localstack/.installed ## LocalStack env (.venvs/localstack, Python 3.13, pinned)

.venvs/localstack/.installed: $(LOCALSTACK_LOCK) | $(UV)
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found (LocalStack needs >= 3.12 in its own env)"; exit 1; }
	test -x .venvs/localstack/bin/python || $(UV) venv -q --python $(PYTHON313) .venvs/localstack
	VIRTUAL_ENV=.venvs/localstack $(UV) pip sync -q $(LOCALSTACK_LOCK)
	touch $@

lock-localstack: | $(UV) ## re-pin LocalStack from localstack-requirements.in
	$(UV) pip compile -q --no-header --python-version 3.13 --python $(PYTHON313) \
		local_cloud/localstack-requirements.in -o $(LOCALSTACK_LOCK)

up: setup ## start the local cloud: PostgreSQL, LocalStack (+ template), Triton, function runtime
	$(PY) -m local_cloud up

down: ## stop every process `make up` started (by PID) and check nothing is left
	$(PY) -m local_cloud down

status: ## health of each part of the local cloud
	$(PY) -m local_cloud status

bench-local-cloud: setup ## local runtime benchmark: REST gateway + Lambda worker overhead, authorizer cache
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_local_cloud.py
.PHONY: setup-localstack lock-localstack up down status bench-local-cloud

# --- CDK app (infra_cdk/) --------------------------------------------------------------------------------
STAGE ?= dev
CDK := npx --yes aws-cdk@2
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
DEPS_LAYER := .build/layers/deps
STAGE_ARCH = $(shell $(PY) -c "from infra_cdk.app import cdk_json_context; from infra_cdk.config import load_stage_config; print(load_stage_config('$(STAGE)', cdk_json_context()['stages']).functions.architecture.value)")

synth: setup ## synthesize STAGE=dev|staging|prod|local into cdk.out/ (cdk-nag checks included)
	STAGE=$(STAGE) $(PY) -m infra_cdk.app
	@echo "cdk.out/speech-$(STAGE).template.json"

layer-deps: setup ## build the third-party Lambda layer for STAGE's architecture into .build/layers/deps (no Docker)
	rm -rf $(DEPS_LAYER) && mkdir -p $(DEPS_LAYER)
	$(UV) export --frozen --no-dev --no-group local --no-hashes --no-emit-project --no-header > .build/layers/requirements.txt
	$(UV) pip install --quiet --target $(DEPS_LAYER)/python --python-version 3.12 --only-binary=:all: --no-binary=srt \
		--python-platform $(if $(filter arm64,$(STAGE_ARCH)),aarch64-manylinux_2_28,x86_64-manylinux_2_28) \
		-r .build/layers/requirements.txt
	# boto3/botocore ship with the Lambda runtime; dropping them keeps the layers under Lambda's 250 MB.
	rm -rf $(DEPS_LAYER)/python/boto3* $(DEPS_LAYER)/python/botocore* $(DEPS_LAYER)/python/s3transfer*
	find $(DEPS_LAYER) -name __pycache__ -type d -prune -exec rm -rf {} +
	@du -sh $(DEPS_LAYER)

deploy: setup layer-deps ## cdk deploy STAGE=dev|staging|prod (needs AWS credentials; see docs/deploy.md), then the console's files
	$(CDK) deploy speech-$(STAGE) -c stage=$(STAGE) -c require_built_layers=true --require-approval broadening
	$(PY) console/publish.py $(STAGE)

diff: setup ## cdk diff of STAGE against what is deployed (needs AWS credentials)
	$(CDK) diff speech-$(STAGE) -c stage=$(STAGE)

test-infra: setup ## CDK template tests: every stage synthesized, cdk-nag, cfn-lint
	$(PY) -m pytest tests/infra
.PHONY: synth layer-deps deploy diff test-infra


# --- tests -----------------------------------------------------------------------------------------
# pytest exits 5 when it collected nothing: a test run that ran no test is a failure.
PYTEST_STRICT = status=0; $(PY) -m pytest $(1) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests in $(1): failing"; exit 1; fi; exit $$status

SOURCES := layers functions infra_cdk local_cloud triton_cluster client tests

test: lint ## lint, format, import contracts and types, then every suite: unit, infra, integration, e2e (what .ci/run calls)
	@$(call PYTEST_STRICT,tests)

test-unit: setup ## unit tests only (no network)
	@$(call PYTEST_STRICT,tests/unit)

lint: setup ## ruff (lint and format), import contracts (pyproject [tool.importlinter]), mypy (pyproject [tool.mypy])
	$(PY) -m ruff check $(SOURCES)
	$(PY) -m ruff format --check $(SOURCES)
	.venv/bin/lint-imports --no-cache
	.venv/bin/mypy

format: setup ## ruff: fix imports and format the tree
	$(PY) -m ruff check --fix-only -q $(SOURCES)
	$(PY) -m ruff format $(SOURCES)
.PHONY: test test-unit lint format

# --- benchmarks (tests/benchmarks/: not collected by `make test`; each prints ratios measured in one run) ----
bench-api: setup ## HTTPS API benchmark: full path vs direct Triton (p50/p95, throughput at 8 clients), where the time goes
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_http_api.py

bench-cold-start: setup ## cold start: each function's handler import (-X importtime, AWS-stage env) vs its budget
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_cold_start.py

bench-jobs: setup ## batch jobs: 1 h of speech at Map concurrency 1/2/4 (wall vs model time, where it goes), step memory 1 h vs 4 h
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_jobs.py

# streaming TTS's benchmark joins when its module is there (tests/benchmarks/bench_stream_tts.py)
bench-stream: setup ## WebSocket streaming: partial latency p50/p95, chunk cost at 5 min vs 10 s, concurrent real-time streams (+ TTS)
	$(PY) -m pytest -s -p no:cacheprovider tests/benchmarks/bench_stream.py $(wildcard tests/benchmarks/bench_stream_tts.py)

bench: bench-triton bench-local-cloud bench-api bench-cold-start bench-jobs bench-stream ## every benchmark (Triton, local cloud, HTTPS API, cold start, jobs, streaming); see docs/benchmarks.md
.PHONY: bench-api bench-cold-start bench-jobs bench-stream bench

# --- the main job ------------------------------------------------------------------------------------
demo: setup ## run the main job on a sample
	$(PY) -m local_cloud.demo
.PHONY: demo

# --- web console (console/) ---------------------------------------------------------------------------
# Node packages from console/package-lock.json (npm ci); the API client's types are generated from the OpenAPI
# document the API serves (built from the code, so the types cannot drift), then Vite builds console/dist, which
# `make up` serves locally and `make deploy` uploads to the stage's console bucket. Debian's chromium drives the
# console's e2e tests (tests/e2e/test_console_pages.py; no browser download).
CONSOLE_APT := chromium
CONSOLE_SOURCES := $(shell find console/src console/public console/index.html console/vite.config.ts -type f 2>/dev/null)
API_SOURCES := $(shell find layers/core/python/speech_core/api layers/core/python/speech_core/contracts -name '*.py' 2>/dev/null)

setup: setup-console
setup-console: console/dist/index.html ## the web console: npm ci, API types from the OpenAPI document, vite build; chromium for its e2e tests
	@dpkg -s $(CONSOLE_APT) >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(CONSOLE_APT); }

console/node_modules/.installed: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

console/src/api/schema.d.ts: $(API_SOURCES) console/node_modules/.installed | .venv/.installed
	mkdir -p console/build
	$(PY) -c "import json; from speech_core.api.openapi import build_openapi; print(json.dumps(build_openapi(), indent=1))" > console/build/openapi.json
	cd console && npm run --silent gen:api

console/dist/index.html: console/src/api/schema.d.ts $(CONSOLE_SOURCES) console/node_modules/.installed
	cd console && npm run --silent build

test-console: console/src/api/schema.d.ts ## the console's eslint, tsc --noEmit and vitest unit tests
	cd console && npm run --silent lint && npm run --silent typecheck && npm run --silent test
test: test-console
.PHONY: setup-console test-console
