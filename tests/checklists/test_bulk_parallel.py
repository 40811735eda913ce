"""generate_cases --jobs N: the same rows as one process makes, and a failure stops the run.

Through the real database (SQLite, or PostgreSQL with DATABASE_URL), in transactional tests:
the worker processes open their own connections and see only what is committed."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, no_style
from django.db import connection, transaction

from checklists import quality, summary
from checklists.audit import verify_audit
from checklists.bulk import database, parallel, plan_batches
from checklists.bulk.cast import prepare_cast
from checklists.bulk.rows import RowBuilder, needed_ids
from checklists.bulk.values import RowValues
from checklists.models import Case, CaseQuality
from tests.conftest import make_case, make_procedure

# Committed batches persist: each test's flush empties the tables, and ``reference_data``
# (below) puts the migrations' roles and procedures back.
parallel_test = pytest.mark.django_db(transaction=True)
BULK = [model for model, *_ in database.TABLES]
COUNTED = [*summary.SUMMARY_MODELS, CaseQuality]


@pytest.fixture(autouse=True)
def _debug(settings, reference_data):
    """DEBUG on: generate_cases refuses to run with DEBUG off. ``reference_data``: the roles
    and procedures the migrations installed, put back if an earlier transactional test of the
    same worker flushed them (the synthetic staff are put in the roles' groups)."""
    settings.DEBUG = True


def generate(*, jobs: int, count: int = 240, batch_size: int = 40) -> None:
    call_command(
        "generate_cases",
        f"--count={count}",
        "--seed=7",
        f"--batch-size={batch_size}",
        f"--jobs={jobs}",
        verbosity=0,
    )


def everything() -> dict[str, list[tuple]]:
    """Every generated row, every column; the counts and quality facts without their own ids
    (processes add to a day's count in any order)."""
    rows = {m.__name__: list(m.objects.order_by("pk").values_list()) for m in BULK}
    for model in COUNTED:
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        rows[model.__name__] = sorted(model.objects.values_list(*names), key=repr)
    return rows


def forget_generated() -> None:
    """Empty the generated tables and restart their ids, as on a fresh database."""
    tables = [m._meta.db_table for m in (*BULK, *COUNTED)]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    with transaction.atomic():
        connection.ops.execute_sql_flush(statements)


@parallel_test
def test_several_processes_make_the_same_rows_as_one():
    forget_generated()  # both runs' ids from 1
    generate(jobs=1)
    one = everything()
    forget_generated()

    generate(jobs=3)

    assert len(one["Case"]) == 240
    assert everything() == one
    verdict = verify_audit()
    assert verdict.ok, [str(problem) for problem in verdict.problems[:3]]


@parallel_test
def test_a_parallel_run_keeps_the_counts_and_quality_facts_a_rebuild_makes():
    generate(jobs=2)
    kept = everything()

    summary.rebuild()
    quality.rebuild()

    assert everything() == kept


@parallel_test
def test_a_failing_batch_stops_the_run_and_leaves_only_whole_batches(monkeypatch):
    forget_generated()  # ids from 1
    third_batch = 1 + 2 * 40
    step_row = RowValues.step_row

    def broken(self, pk, case_id, step, answer):
        # The third batch names a case that does not exist: the database refuses it.
        return step_row(self, pk, 10**9 if case_id == third_batch else case_id, step, answer)

    # The workers are forked from this process: they build with the broken method too.
    monkeypatch.setattr(RowValues, "step_row", broken)

    with pytest.raises(
        CommandError, match=r"Batch 3 \(40 cases\) failed: (IntegrityError|ForeignKeyViolation)"
    ):
        generate(jobs=2)

    cases = Case.objects.count()
    assert cases % 40 == 0
    assert 80 <= cases < 240
    assert not Case.objects.filter(pk=third_batch).exists()
    verdict = verify_audit()
    assert verdict.ok, [str(problem) for problem in verdict.problems[:3]]
    assert verdict.cases == cases
    kept = everything()
    summary.rebuild()
    quality.rebuild()
    assert everything() == kept


@parallel_test
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ids are predicted")
def test_sqlite_batch_is_built_again_when_its_predicted_ids_were_taken(monkeypatch, nurse, surgeon):
    cast = prepare_cast()
    [plans] = plan_batches(cast, count=5, seed=3, days=30, batch_size=5)
    predicted = {name: database.first_free(model) for model, *_, name in database.TABLES}
    ids = {
        name: range(predicted[name], predicted[name] + n) for name, n in needed_ids(plans).items()
    }
    # The application makes a case meanwhile: it takes the first predicted case id.
    taken = make_case(make_procedure({"title": "Only"}), actor=nurse, surgeon=surgeon)
    assert taken.pk == predicted["case"]
    monkeypatch.setattr(parallel, "_cast", cast)  # as a forked worker has them
    monkeypatch.setattr(parallel, "_builder", RowBuilder(sqlite=True))

    assert parallel._build_and_write(parallel._pickled(plans), ids) == 5

    generated = Case.objects.exclude(pk=taken.pk)
    assert generated.count() == 5
    assert min(generated.values_list("pk", flat=True)) > taken.pk
    verdict = verify_audit()
    assert verdict.ok, [str(problem) for problem in verdict.problems[:3]]
