"""Each procedure's steps, as they are, become its version 1, published: cases go on being made
from exactly these steps. Each step gets the key that follows it through later versions.

Going back keeps, of each procedure, the steps of its published version (else of its newest),
linked to the procedure again; the steps of its other versions are deleted (cases keep their
own copies, unlinked from them by checklists 0028 first, as when a step is deleted). Running it
again changes nothing.
"""

import uuid

from django.db import migrations

NOTE = "The procedure as it was when versions began."


def versions_from_procedures(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    Step = apps.get_model("procedures", "Step")
    for procedure in Procedure.objects.filter(versions__isnull=True):
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=1,
            status="published",
            change_note=NOTE,
            created_at=procedure.created_at,
            published_at=procedure.updated_at,
        )
        Step.objects.filter(procedure=procedure, version__isnull=True).update(version=version)
    for step in Step.objects.filter(key__isnull=True).only("pk"):
        Step.objects.filter(pk=step.pk).update(key=uuid.uuid4())


def procedures_from_versions(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    Step = apps.get_model("procedures", "Step")
    for procedure in Procedure.objects.all():
        versions = procedure.versions.order_by("-number")
        kept = versions.filter(status="published").first() or versions.first()
        if kept is None:
            continue
        Step.objects.filter(version__procedure=procedure).exclude(version=kept).delete()
        Step.objects.filter(version=kept).update(procedure=procedure)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0007_procedure_versions"),
    ]

    operations = [migrations.RunPython(versions_from_procedures, procedures_from_versions)]
