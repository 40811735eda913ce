"""Putting generated rows into the database: primary keys reserved, rows inserted in bulk.

Each batch runs in one transaction that first reserves its primary keys (SQLite: the ids after
the table's highest, taken under the batch's write lock; PostgreSQL: ``nextval`` on each
table's sequence), so the application may keep running beside it. Rows go in with
``executemany`` on SQLite and ``COPY`` on PostgreSQL. Django's ``bulk_create`` was measured
first: for the rows of 500 cases (about 35k) it took 3.4 s against 0.4 s for ``executemany``
on SQLite, the time going to model instances and to statements of at most 999 parameters each.
"""

from collections.abc import Iterator
from typing import Any

from django.db import connection, models

from checklists import quality, summary
from checklists.bulk.columns import (
    CASE_COLUMNS,
    CONCERN_COLUMNS,
    EVENT_COLUMNS,
    IMPLANT_COLUMNS,
    SIGNATURE_COLUMNS,
    STEP_COLUMNS,
    TIME_OUT_COLUMNS,
    Ids,
    Rows,
)
from checklists.models import (
    AuditEvent,
    Case,
    CaseStep,
    Concern,
    Implant,
    Signature,
    TimeOut,
)

# Each table: its model, the column order of its rows, the attribute of Rows and of Ids.
TABLES: tuple[tuple[type[models.Model], tuple[str, ...], str, str], ...] = (
    (Case, CASE_COLUMNS, "cases", "case"),
    (CaseStep, STEP_COLUMNS, "steps", "step"),
    (Implant, IMPLANT_COLUMNS, "implants", "implant"),
    (Signature, SIGNATURE_COLUMNS, "signatures", "signature"),
    (TimeOut, TIME_OUT_COLUMNS, "time_outs", "time_out"),
    (Concern, CONCERN_COLUMNS, "concerns", "concern"),
    (AuditEvent, EVENT_COLUMNS, "events", "event"),
)


def reserve(counts: dict[str, int]) -> Ids:
    """Fresh primary keys, ``counts[name]`` of each table. Call inside the batch's transaction."""
    return {name: reserve_ids(model, counts[name]) for model, _, _, name in TABLES}


def reserve_ids(model: type[models.Model], count: int) -> Iterator[int]:
    """``count`` primary keys nobody else will use. Call inside the batch's transaction."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Alone on the sequence, the ids follow each other: the first and the last say
            # it (the 85,000 ids of a batch fetched one a row took 7% of a run). When the
            # application took some meanwhile, all of ours, in the order they were drawn.
            cursor.execute(
                "WITH taken AS (SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id "
                "FROM generate_series(1, %s)) "
                "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
                "ELSE array_agg(id ORDER BY id) END FROM taken",
                [table, count],
            )
            first, last, scattered = cursor.fetchone()
            if first is None:
                return iter(())
            return iter(scattered if scattered is not None else range(first, last + 1))
        if connection.vendor != "sqlite":
            raise NotImplementedError("Synthetic history supports SQLite and PostgreSQL.")
    # The batch's IMMEDIATE transaction holds SQLite's write lock: nobody inserts meanwhile.
    start = first_free(model)
    return iter(range(start, start + count))


def first_free(model: type[models.Model]) -> int:
    """SQLite: the first primary key ``reserve_ids`` would give now (after the table's highest
    and any the table ever handed out)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX(id) FROM {quoted}")  # noqa: S608 -- a model's table
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    return max(highest, row[0] if row else 0) + 1


def write_batch(rows: Rows) -> None:
    """Insert a batch's rows and add its closed cases' quality facts and the dashboard's
    counts, by the workflow's own functions. Call inside the batch's transaction, its ids
    reserved."""
    if connection.vendor == "sqlite":
        # This connection only: SQLite's default 2 MiB page cache makes every index insert of
        # a large table a read from disk; 256 MiB made 100k cases about 20% faster.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    insert(rows)
    batch = [row[0] for row in rows.cases]  # CASE_COLUMNS begin with the id
    quality.store_quality(Case.objects.filter(pk__in=batch))  # as the workflow does
    # Last: rows other batches (other processes) add to too, held until this one commits.
    summary.count_closed_cases(Case.objects.filter(pk__in=batch))


def insert(rows: Rows) -> None:
    """The batch's rows, each table in one statement. Call inside the batch's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Check the foreign keys as the rows go in rather than at COMMIT: a parallel run's
            # batches then hold the dashboard's count rows (written last) for less time.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model, columns, attribute, _ in TABLES:
            batch = getattr(rows, attribute)
            if not batch:
                continue
            if connection.vendor == "postgresql":
                _copy(cursor.cursor, model, columns, batch)
            else:
                cursor.executemany(_insert_sql(model, columns), batch)


def _insert_sql(model: type[models.Model], columns: tuple[str, ...]) -> str:
    known = {f.column: f for f in model._meta.concrete_fields}
    if set(columns) != set(known):
        raise RuntimeError(f"{model.__name__} changed: update checklists.bulk.rows's columns.")
    quote = connection.ops.quote_name
    json_columns = {name for name, f in known.items() if isinstance(f, models.JSONField)}
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"%s{cast}" if name in json_columns else "%s" for name in columns)
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({values})"  # noqa: S608


def _copy(cursor: Any, model: type[models.Model], columns: tuple[str, ...], batch: list) -> None:
    """PostgreSQL's COPY: one statement for the whole batch. Row by row INSERTs (even
    pipelined by executemany) made the server parse and plan every row, and ran 4x slower."""
    _insert_sql(model, columns)  # the same check that the model still has these columns
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    with cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy:
        for row in batch:
            copy.write_row(row)
