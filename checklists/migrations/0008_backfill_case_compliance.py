"""Store the compliance facts of the cases closed before 0007 added their columns.

From here on the workflow writes them when a case closes (see checklists.compliance). This
fills them for completed, reviewed and cancelled cases from their steps and signatures, with
a frozen copy of the definitions as SQL subqueries (a migration must not follow later changes
of application code): one UPDATE per batch of case ids, so the database does the work without
carrying millions of step rows through Python. Open cases keep them unknown (null).

On SQLite, 0007 rebuilt the case table, which drops the table's planner statistics; where the
database had gathered them, they are gathered again here. Without them, beside the other
tables' statistics, the planner misjudged the case table: at 100k cases the review list's
first page took 172 ms instead of 12.
"""

from django.db import migrations
from django.db.models import Exists, Max, OuterRef, Subquery

CLOSED = ("completed", "reviewed", "cancelled")
BATCH = 5000  # cases per UPDATE


def backfill(apps, schema_editor):
    Case = apps.get_model("checklists", "Case")
    CaseStep = apps.get_model("checklists", "CaseStep")
    Signature = apps.get_model("checklists", "Signature")
    database = schema_editor.connection.alias

    def steps(**filters):
        return CaseStep.objects.using(database).filter(case=OuterRef("pk"), **filters).order_by()

    time_out = steps(phase="time_out", recorded_at__isnull=False).exclude(status="pending")
    incision = steps(
        phase="procedure", status="done", title__icontains="incision", recorded_at__isnull=False
    )
    facts = {
        "time_out_at": Subquery(time_out.order_by("-recorded_at").values("recorded_at")[:1]),
        "incision_at": Subquery(incision.order_by("recorded_at").values("recorded_at")[:1]),
        "required_complete": ~Exists(steps(required=True, status="pending")),
        "amended": Exists(
            Signature.objects.using(database)
            .filter(case=OuterRef("pk"), meaning="amendment")
            .order_by()
        ),
    }
    closed = Case.objects.using(database).filter(status__in=CLOSED)
    highest = closed.aggregate(highest=Max("pk"))["highest"] or 0
    for start in range(0, highest + 1, BATCH):
        closed.filter(pk__gte=start, pk__lt=start + BATCH).update(**facts)
    if schema_editor.connection.vendor == "sqlite":
        analyze_cases_if_analyzed(schema_editor)


def analyze_cases_if_analyzed(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE checklists_case")


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0007_case_compliance_facts"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
