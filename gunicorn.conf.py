"""gunicorn's settings for SI Tracker, read by `gunicorn sitracker.wsgi` run from this folder.

Flags on the command line override them (bench/load.py sets its own).
"""

# A worker that has not answered within this many seconds is killed and restarted, its request
# lost. Every wait inside a request is bounded well below it: SQLite's busy timeout
# (sitracker/settings.py, SQLITE_BUSY_TIMEOUT, 5 s) turns a held lock into "Not saved, try again"
# (a 503) first. tests/site/test_database_settings.py keeps the two in step.
timeout = 30

# Threads, so that one request waiting for the database does not stall every page the worker
# serves: the board stays quick while a write waits. The configuration bench/RESULTS.md measured
# (2 workers of 4 threads); set the workers with WEB_CONCURRENCY or --workers.
threads = 4
