# The two commands of the README, plus a few helpers. Works on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test lint format bench clean bench-review bench-scale-out bench-theatres

$(VENV)/.installed-runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The Nu Html Checker for the HTML validity test (npm; it runs on the machine's Java 17).
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

run: $(VENV)/.installed-runtime
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST)

# mypy checks the apps listed in pyproject.toml ([tool.mypy] files).
# pytest-xdist: one worker per core (CI has two); each worker has its own test database.
test: $(VENV)/.installed-dev node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m pytest -n auto

# lint-imports checks the contracts in pyproject.toml: imports run one way between the apps.
lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

format: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Load and concurrency benchmarks on SQLite and PostgreSQL (127.0.0.1:5432): writes bench/RESULTS.md.
# BENCH_ARGS=--quick for a short run; see python -m bench.load --help.
bench: $(VENV)/.installed-runtime
	$(PY) -m bench.load $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .test-db* staticfiles

# The review pages over 100k generated cases against the admin changelist, on SQLite and (when
# a server answers at 127.0.0.1:5432) PostgreSQL. Takes several minutes the first time.
bench-review: $(VENV)/.installed-runtime
	$(PY) bench/review_bench.py --count $${COUNT:-100000}

# The deployment in deploy/ proven: two app servers behind nginx (TLS) on one PostgreSQL
# (127.0.0.1:5432), the hammer through it and a tick seen across servers; writes
# bench/RESULTS-scale-out.md. Needs Debian's nginx.
bench-scale-out: $(VENV)/.installed-runtime
	$(PY) -m bench.scale_out $(BENCH_ARGS)

# How many theatres one server carries (tablets, wall displays, ticks, page loads; open-loop,
# ramped until the p95 goals fail), polling and (PostgreSQL) with live updates pushed, on
# PostgreSQL and SQLite: writes bench/RESULTS-theatres.md.
bench-theatres: $(VENV)/.installed-runtime
	$(PY) -m bench.theatres $(BENCH_ARGS)
