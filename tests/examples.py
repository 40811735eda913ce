"""How many examples the property-based tests (Hypothesis) try: ``examples(full)``.

``SITRACKER_EXAMPLES_SHARE`` is the share of the full count to try (default 1: all of them).
CI's PostgreSQL pass sets it to 0.25 (.ci/run): what the fuzzers, the workflow's state machine
and the tampering tests generate does not depend on the database, and the SQLite pass tries
every example; a quarter of them still takes every path through PostgreSQL's own locks,
constraints and types. The two passes one after the other then stay within CI's time.
"""

import os

SHARE = float(os.environ.get("SITRACKER_EXAMPLES_SHARE", "1"))


def examples(full: int) -> int:
    """``full`` examples scaled by the share, never fewer than 10."""
    return max(10, round(full * SHARE))
