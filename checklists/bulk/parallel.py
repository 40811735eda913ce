"""The same batches made by several processes: ``generate_cases --jobs N``.

Building a batch's rows is Python (the audit chain's hashes, the payloads' JSON) and takes
about a third of a serial run; writing it is the database's work, plus the dashboard's counts
and the quality facts. So:

- this process plans every batch, in order (a device's serial is drawn until unused by the
  batches before it), and decides each batch's primary keys before handing it out: the same
  seed then gives the same rows, ids and hashes included, whatever the number of processes;
- ``jobs`` processes each build a batch and write it in its own transaction. On PostgreSQL
  the ids are reserved here from the tables' sequences (``nextval``). SQLite has one writer
  at a time: the processes take turns to write, and their ids are the ones that follow the
  tables' highest when the run starts; a batch whose ids something else took meanwhile (the
  application running beside it) is built again with ids reserved under the write lock, as a
  serial run does. (Writing in this process instead, from rows built by the others, was
  slower: the rows' round trip through pickle cost more than building them.)

A batch that fails stops the run: batches not started are dropped, those being written finish
or roll back whole (one transaction each), and ``GenerationFailed`` says which batch and why.
The workers are forked from this process: they share its cast and its settings (a test's
database included) and open their own connections.
"""

import io
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from django.db import connection, connections, transaction

from checklists.bulk import database
from checklists.bulk.cast import Cast, Layout
from checklists.bulk.plan import Plan
from checklists.bulk.rows import RowBuilder, needed_ids


class GenerationFailed(RuntimeError):
    """A batch could not be built or written; ``made`` cases were written whole before."""

    def __init__(self, message: str, *, made: int) -> None:
        super().__init__(message)
        self.made = made


def default_jobs() -> int:
    """One process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def generate(
    batches: Iterable[list[Plan]],
    *,
    cast: Cast,
    jobs: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Make ``batches`` with ``jobs`` worker processes; return how many cases were written."""
    if connection.in_atomic_block:
        raise RuntimeError("The workers see only what is committed: call it outside a transaction.")
    sqlite = connection.vendor == "sqlite"
    global _cast, _builder  # handed to the forked workers
    _cast, _builder = cast, RowBuilder(sqlite=sqlite)
    next_ids = _first_free() if sqlite else {}
    connections.close_all()  # the workers must not share this process's connections
    made = 0
    in_flight: deque[tuple[int, list[Plan], Any, Future]] = deque()
    with ProcessPoolExecutor(jobs, mp_context=get_context("fork")) as pool:
        # Forked now, all of them, before this process opens a connection again (planning
        # reads the serials in use, PostgreSQL's ids are reserved here).
        pool.submit(int).result()
        try:
            for number, plans in enumerate(batches):
                needed = needed_ids(plans)
                if sqlite:
                    ids: dict[str, range | list[int]] = {
                        name: range(next_ids[name], next_ids[name] + n)
                        for name, n in needed.items()
                    }
                    next_ids = {name: next_ids[name] + n for name, n in needed.items()}
                else:
                    ids = {name: _compact(it) for name, it in database.reserve(needed).items()}
                task = pool.submit(_build_and_write, _pickled(plans), ids)
                in_flight.append((number, plans, ids, task))
                # A few batches ahead of the oldest, not the whole run's plans in memory.
                while len(in_flight) > 2 * jobs:
                    made += _finish(in_flight.popleft(), made=made, pool=pool)
                    if progress:
                        progress(made)
            while in_flight:
                made += _finish(in_flight.popleft(), made=made, pool=pool)
                if progress:
                    progress(made)
        finally:
            for *_, task in in_flight:
                task.cancel()
    return made


def _finish(
    batch: tuple[int, list[Plan], Any, Future], *, made: int, pool: ProcessPoolExecutor
) -> int:
    """Wait for a batch to be written: its size, or ``GenerationFailed``."""
    number, plans, _, task = batch
    try:
        task.result()
    except Exception as error:
        pool.shutdown(wait=True, cancel_futures=True)  # batches being written finish first
        raise GenerationFailed(
            f"Batch {number + 1} ({len(plans)} cases) failed: {type(error).__name__}: {error}. "
            f"The run stopped; {made} cases were written before it, batches being written "
            "when it failed are whole or not there (one transaction each).",
            made=made,
        ) from error
    return len(plans)


def _first_free() -> dict[str, int]:
    with transaction.atomic():
        return {name: database.first_free(model) for model, *_, name in database.TABLES}


def _compact(ids: Iterator[int]) -> range | list[int]:
    """Reserved ids as a range when they follow each other (they mostly do), to send cheaply."""
    taken = list(ids)
    if taken and taken[-1] - taken[0] == len(taken) - 1:
        return range(taken[0], taken[-1] + 1)
    return taken


# --- in the workers ----------------------------------------------------------------------------

_cast: Cast | None = None
_builder: RowBuilder | None = None


def _build_and_write(plans: bytes, ids: dict[str, range | list[int]]) -> int:
    assert _builder is not None  # set before the fork
    batch = _unpickled(plans)
    rows = _builder.rows(batch, {name: iter(it) for name, it in ids.items()})
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the others' turns to write: wait, however long
            cursor.execute("PRAGMA busy_timeout = 3600000")
    with transaction.atomic():  # on SQLite IMMEDIATE: the write lock, held to the commit
        if connection.vendor == "sqlite" and not _still_free(ids):
            rows = _builder.rows(batch, database.reserve(needed_ids(batch)))
        database.write_batch(rows)
    return len(rows.cases)


def _still_free(ids: dict[str, range | list[int]]) -> bool:
    """SQLite: whether nobody took any of a batch's predicted ids since the run began."""
    for model, *_, name in database.TABLES:
        taken = ids[name]
        if taken and model._default_manager.filter(pk__gte=taken[0], pk__lte=taken[-1]).exists():
            return False
    return True


# Plans name their layout (a procedure's steps, shared by every case of the kind): sent as its
# key and found again in the worker's copy of the cast, so that each worker keeps one set of
# step snapshots (``RowValues`` caches a step's columns by the step).


def _pickled(plans: list[Plan]) -> bytes:
    assert _cast is not None
    keys = {id(layout): (kind, key) for kind, key, layout in _layouts(_cast)}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.persistent_id = lambda obj: keys[id(obj)] if isinstance(obj, Layout) else None  # type: ignore[method-assign]
    pickler.dump(plans)
    return buffer.getvalue()


def _unpickled(data: bytes) -> list[Plan]:
    assert _cast is not None
    layouts = {(kind, key): layout for kind, key, layout in _layouts(_cast)}
    unpickler = pickle.Unpickler(io.BytesIO(data))  # noqa: S301 -- from this run's own process
    unpickler.persistent_load = lambda key: layouts[key]  # type: ignore[method-assign]
    return unpickler.load()


def _layouts(cast: Cast) -> Iterator[tuple[str, Any, Layout]]:
    for key, layout in cast.layouts.items():
        yield "gated", key, layout
    for key, layout in cast.ungated_layouts.items():
        yield "ungated", key, layout
