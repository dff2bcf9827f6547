# The two commands a newcomer runs: `make demo` and `make test`. Both set up what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test install lint format browser-deps bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e ".[test]"

demo: install
	$(PY) -m flowlab.demo

# Debian's chromium drives the real-browser tests (never a downloaded browser).
browser-deps:
	@if [ -d tests/browser ] && ! command -v chromium >/dev/null; then \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: browser tests will be skipped"; \
	fi

lint: install
	$(PY) -m ruff check flowlab tests benchmarks
	$(PY) -m ruff format --check flowlab tests benchmarks

format: install
	$(PY) -m ruff check --fix flowlab tests benchmarks
	$(PY) -m ruff format flowlab tests benchmarks

test: install browser-deps lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) benchmarks/overhead.py

clean:
	rm -rf $(VENV) .flowlab .pytest_cache .ruff_cache
