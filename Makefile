# The README's two commands are `make run` and `make test`; each does all of its own set-up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 runs on Python 3.8-3.10 only; find a 3.10 even where pyenv's shim hides it.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	if $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then command -v $$p || echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
MODEL := models/assistant.tar.gz
# The generator (scripts/gen_training_data.py) builds rules and stories from the forms, goals and questions in
# actions/: an edit there alone must also re-check and retrain.
GENERATOR_INPUTS := scripts/gen_training_data.py scripts/test_phrases.py actions/flow_config.py actions/goals.py \
	$(wildcard actions/questions/*.py)
TRAINING_INPUTS := $(shell find data -type f 2>/dev/null) domain.yml config.yml $(GENERATOR_INPUTS)

export PYTHONDONTWRITEBYTECODE := 1
# Rasa and TensorFlow are chatty at start-up; keep real warnings, drop the noise.
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa's telemetry and error reports go to the internet; nothing here may reach out.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install migrate train run run-replicas test test-fast test-contract contract-venv bench clean

help:
	@echo "make run   - install, migrate, train if needed, and serve backend (8080), actions (5055), Rasa (5005)"
	@echo "make test  - install, train if needed, and run every test (SQLite and PostgreSQL)"
	@echo "make bench - run the benchmarks under bench/"
	@echo "make test-contract - the API contract run only (Schemathesis against a real backend, docs/API.md)"
	@echo "make run-replicas - like run, with 2 Rasa and 2 action servers behind HAProxy (docs/SCALING.md)"

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (Rasa 3.6 needs 3.8-3.10)"; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.3.1 wheel==0.45.1
	@TIMEFORMAT="stage pip install: %0R s"; time $(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Schemathesis (the API contract run, tests/backend/test_api_contract.py) needs jsonschema>=4.18 and Rasa 3.6
# pins jsonschema<4.18, so it gets its own small venv from the same Python, pinned by constraints-contract.txt.
CONTRACT_VENV := .venv-contract
CONTRACT_STAMP := $(CONTRACT_VENV)/.installed
$(CONTRACT_STAMP): requirements-contract.txt constraints-contract.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found"; exit 1; }
	test -x $(CONTRACT_VENV)/bin/python || $(PYTHON310) -m venv $(CONTRACT_VENV)
	$(CONTRACT_VENV)/bin/python -m pip install --quiet --upgrade pip==24.3.1 wheel==0.45.1
	$(CONTRACT_VENV)/bin/python -m pip install --quiet -c constraints-contract.txt -r requirements-contract.txt
	$(CONTRACT_VENV)/bin/python -m pip check
	touch $@

contract-venv: $(CONTRACT_STAMP)

# The website widget's one npm dependency (socket.io-client), installed from the lock file.
WEB_DEPS := web/node_modules/.package-lock.json
$(WEB_DEPS): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium through Playwright (never `playwright install`).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

# Replicas (make run-replicas, tests/test_e2e_replicas.py) sit behind Debian's HAProxy.
HAPROXY := /usr/sbin/haproxy
$(HAPROXY):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; fi

install: $(STAMP) $(WEB_DEPS)

var:
	mkdir -p var/outbox

migrate: $(STAMP) | var
	$(PY) -m backend migrate

# Train only when the training data, domain or pipeline changed since the last model.
# The generated rules and stories must match their generators, and the hand-kept domain.yml must hold every
# intent, action, form, slot and (trilingual) response they use, before anything is trained on them.
$(MODEL): $(STAMP) $(TRAINING_INPUTS)
	$(PY) -m scripts.gen_training_data --check
	$(PY) -m scripts.gen_faq_responses --check
	@TIMEFORMAT="stage train: %0R s"; time $(RASA) train --fixed-model-name assistant --out models --quiet
	touch $@

train: $(MODEL)

run: $(STAMP) $(WEB_DEPS) migrate $(MODEL)
	$(PY) -m scripts.run_all

# 2 Rasa servers + 2 action servers behind HAProxy, on PostgreSQL trackers and Redis locks (docs/SCALING.md).
run-replicas: $(STAMP) $(WEB_DEPS) $(HAPROXY) migrate $(MODEL)
	$(PY) -m scripts.run_replicas

# Training data and domain must be consistent, every test story must be predicted exactly, then pytest
# (unit, API on SQLite and PostgreSQL, the API contract run, browser and end-to-end tests).
test: $(STAMP) $(CONTRACT_STAMP) $(WEB_DEPS) $(CHROMIUM) $(HAPROXY) $(MODEL) | var
	@TIMEFORMAT="stage data validate: %0R s"; time $(RASA) data validate --quiet
	@TIMEFORMAT="stage test core: %0R s"; time $(RASA) test core --model $(MODEL) --stories tests/stories \
		--fail-on-prediction-errors --out var/test-results/core
	@TIMEFORMAT="stage pytest: %0R s"; time $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup --durations=25

# Schemathesis against a real backend on SQLite, with the service token and with a staff token.
test-contract: $(STAMP) $(CONTRACT_STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m contract tests/backend/test_api_contract.py

bench: $(STAMP) $(MODEL)
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(CONTRACT_VENV) models var .pytest_cache
