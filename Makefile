# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_DIRS := tests/interop

.PHONY: run test fuzz seed bench evaluate clean deps deps-test types docs admin

# A stamp per dependency set, rebuilt when pyproject.toml changes.
$(VENV)/.deps-run: pyproject.toml scripts/deps.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q $$($(PYTHON) scripts/deps.py)
	touch $@

$(VENV)/.deps-test: $(VENV)/.deps-run
	$(PY) -m pip install --disable-pip-version-check -q $$($(PYTHON) scripts/deps.py test)
	touch $@

# py-spy, for scripts/bench/profile_live.py.
$(VENV)/.deps-bench: $(VENV)/.deps-test
	$(PY) -m pip install --disable-pip-version-check -q $$($(PYTHON) scripts/deps.py test bench)
	touch $@

tests/interop/node_modules/.stamp: tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The dashboard's build tools (esbuild, TypeScript); `make run` serves the committed bundle instead.
admin/node_modules/.stamp: admin/package-lock.json
	cd admin && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's chromium (Playwright's own browser download cannot work offline).
/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# tests/test_pgbouncer.py runs the suite's database through a real PgBouncer in transaction mode.
/usr/sbin/pgbouncer:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer

deps: $(VENV)/.deps-run
deps-test: $(VENV)/.deps-test tests/interop/node_modules/.stamp admin/node_modules/.stamp /usr/bin/chromium /usr/sbin/pgbouncer

run: deps
	APP_ENV=$${APP_ENV:-development} $(PY) -m app

test: deps-test
	$(PY) -m mypy
	$(PY) -m pytest -q -p no:cacheprovider

# The long form of tests/test_fuzz.py (make test runs 3 examples per procedure).
fuzz: deps-test
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py

seed: deps
	APP_ENV=$${APP_ENV:-development} $(PY) -m scripts.seed

bench: deps-test $(VENV)/.deps-bench
	$(PY) scripts/bench/wire.py

# The TypeScript client package, docs/api.md: generated from the procedure registry, committed.
types: deps
	$(PY) -m scripts.generate_catalog

docs: types

evaluate: deps
	$(PY) scripts/evaluate_engine.py --public
	$(PY) scripts/evaluate_engine.py

# Rebuilds the committed dashboard bundle (app/static/admin) after changing admin/src.
admin: admin/node_modules/.stamp
	cd admin && npx tsc --noEmit -p . && node build.mjs

clean:
	rm -rf $(VENV) .data tests/interop/node_modules admin/node_modules
