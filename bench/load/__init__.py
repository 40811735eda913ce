"""Load and concurrency benchmarks: ``make bench`` (``python -m bench.load --help``).

For each engine (SQLite in a file under /tmp with the production WAL settings; PostgreSQL in the
database ``sitracker_bench_load``) this prepares a database (migrate, demo users,
``generate_cases`` history, fresh cases), starts the application under gunicorn with
``bench.settings`` (the production settings with DEBUG off, plus two bare views), logs clients
in through the login form and drives the application from separate processes on 127.0.0.1,
each client on its own keep-alive connection with its own session. Every scenario has a time
limit and a request budget.

It prints one table and writes it, with the machine, the date and the commit, to
bench/RESULTS.md. The figures that matter are ratios measured in the same run against a yardstick
served by the same gunicorn: the step POST against a bare POST view, the live-sync 304 against a
bare GET view, the pages against the Django admin's changelist of cases.

The package, by what its parts are for: ``cli`` (the options and the order of a run),
``run`` (one run's secrets, environment, static files and databases), ``engines`` (SQLite and
PostgreSQL), ``server`` (gunicorn and what /proc says about it), ``browser`` (one client's
connection, login and page reading), ``clients`` (the clients' loops in worker processes),
``scenarios`` (what is measured), ``results`` (the figures, the table and the hammer's check)
and ``report`` (bench/RESULTS.md).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
