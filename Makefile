# The two commands a newcomer runs: `make demo` and `make test`. Both set up what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
# the whole suite, the Binder environment test included (minutes the first time: it builds
# a fresh venv, kept in .venv/binder-envs/ for the next run); `make test PYTEST_ARGS='-m "not
# slow"'` leaves that one out. Two pytest-xdist workers, a test file each at a time (a file's
# tests share their fixtures); `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: demo test install lint format browser-deps bench clean lint-ts labextension test-binder docs

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# installed once, again only when what the install is made from changed (a second `make demo`
# starts at once)
STAMP := $(VENV)/.installed
EXTENSION_SOURCES := $(shell find extension/src extension/style -type f 2>/dev/null) \
	$(wildcard extension/package.json extension/yarn.lock)

install: $(STAMP)

$(STAMP): $(PY) pyproject.toml hatch_build.py $(EXTENSION_SOURCES)
	$(PY) -m pip install -q -e ".[test]"
	touch $@

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

test: install browser-deps lint lint-ts
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=30 $(PYTEST_ARGS)

# -- the JupyterLab extension (extension/ -> flowlab/labextension); `pip install` rebuilds it
# when extension/ changed (hatch_build.py), these two need Node.js >= 20 and say so if absent
labextension: install
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) hatch_build.py

lint-ts: install
	@command -v node >/dev/null || { echo "Node.js >= 20 is needed to lint extension/ (apt-get install nodejs npm)"; exit 1; }
	cd extension && PATH="$(abspath $(VENV))/bin:$$PATH" jlpm install && PATH="$(abspath $(VENV))/bin:$$PATH" jlpm lint

# the documentation site (mkdocs.yml, docs/) into site/; `make test` builds it strictly and runs
# every Python example of README.md and docs/ (tests/test_docs.py)
docs: install
	$(PY) -m mkdocs build --strict --site-dir site

bench: install
	$(PY) benchmarks/overhead.py

clean:
	rm -rf $(VENV) .flowlab .pytest_cache .ruff_cache site

# only the Binder environment test (part of `make test` too)
test-binder: install
	$(PY) -m pytest tests/jupyter/test_binder.py
