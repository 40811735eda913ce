"""Synthetic case history in bulk, for benchmarks and demos only: it bypasses the workflow.

Every real change to a case goes through ``checklists.workflow``: one transaction, one locked
case, one audit event at a time. That is far too slow to make a year of history for 100k cases,
so this package writes the same rows directly, in bulk, built by the workflow's own pure
functions (its step snapshot, ``checklists.payloads``, its content hash, the audit chain's
hash, ``checklists.compliance``), never by copies of them; each batch adds its closed cases to
the dashboard's counts with ``checklists.summary``, and stores their quality facts with
``checklists.quality``, the workflow's own writers of them. A test
makes one case both ways and compares every row (``tests/checklists/test_bulk_equality.py``).

The modules, in the order a run uses them:
- ``cast``: the synthetic staff, and each procedure's steps as the workflow snapshots them;
- ``plan``: what happens in each case and when, drawn from a seeded random generator;
- ``lapses``: what goes less than well: a scrub missing at the Time Out, a catch-up entry, a
  Stop called and the Time Out repeated;
- ``rows``: the rows of planned cases, as the workflow would have written them;
- ``database``: primary keys reserved per batch, rows inserted with executemany or COPY;
- ``parallel``: the same batches built (and, on PostgreSQL, written) by several processes.

``python manage.py generate_cases`` runs ``generate``. Synthetic patients have MRNs starting
``SYN-`` (``plan.MRN_PREFIX``) and are not anyone real.
"""

import hashlib
import random
from collections.abc import Callable, Iterator

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Room
from checklists.bulk import database, parallel
from checklists.bulk.cast import Cast, prepare_cast
from checklists.bulk.plan import Plan, Planner, SerialsInUse, generated_gtins
from checklists.bulk.rows import RowBuilder, needed_ids
from checklists.bulk.vocabulary import ROOMS
from checklists.models import Implant


def generate(
    *,
    count: int,
    seed: int | None = None,
    days: int = 365,
    batch_size: int = 1000,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``count`` synthetic cases spread over the past ``days``; return how many.
    ``jobs`` above 1 builds the rows in that many processes (``checklists.bulk.parallel``),
    unless called inside a transaction; the same ``seed`` makes the same rows whatever
    ``jobs`` is."""
    cast = prepare_cast()
    for room in ROOMS:  # the rooms the plans use, in use, as the new-case form offers them
        Room.objects.get_or_create(name=room)
    batches = plan_batches(cast, count=count, seed=seed, days=days, batch_size=batch_size)
    jobs = min(jobs, -(-count // batch_size))  # no more processes than batches
    if connection.in_atomic_block:
        jobs = 1  # a test's transaction: other processes would not see its rows (the cast's)
    if jobs > 1:
        return parallel.generate(batches, cast=cast, jobs=jobs, progress=progress)
    builder = RowBuilder(sqlite=connection.vendor == "sqlite")
    made = 0
    for plans in batches:
        with transaction.atomic():
            ids = database.reserve(needed_ids(plans))
            database.write_batch(builder.rows(plans, ids))
        made += len(plans)
        if progress:
            progress(made)
    return made


def plan_batches(
    cast: Cast, *, count: int, seed: int | None, days: int, batch_size: int
) -> Iterator[list[Plan]]:
    """The plans of each batch in turn. One planner per batch, seeded from the run's seed:
    the same seed, the same data. Made in one process, in order, because a device's serial is
    drawn until unused by the batches before (``SerialsInUse``)."""
    now = timezone.now()
    serials = _serials_in_use()
    made = 0
    batch_number = 0
    while made < count:
        size = min(batch_size, count - made)
        rng = random.Random(_batch_seed(seed, batch_number))  # noqa: S311 -- made-up data
        planner = Planner(cast, rng=rng, now=now, days=days, serials=serials)
        yield [planner.plan() for _ in range(size)]
        made += size
        batch_number += 1


def _serials_in_use() -> SerialsInUse:
    """The serials the generated devices already have in the database (one query)."""
    in_use: dict[str, set[str]] = {}
    rows = Implant.objects.filter(gtin__in=generated_gtins()).values_list("gtin", "serial")
    for gtin, serial in rows.iterator(10_000):
        in_use.setdefault(gtin, set()).add(serial)
    return SerialsInUse(in_use)


def _batch_seed(seed: int | None, batch: int) -> int:
    if seed is None:
        return random.SystemRandom().randrange(2**63)
    digest = hashlib.sha256(f"{seed}:{batch}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
