"""The cases scheduled before versions were made from what became version 1 of their procedure
(procedures 0008): each names it. Going back, the column is dropped by 0027."""

from django.db import migrations


def name_version_1(apps, schema_editor):
    Case = apps.get_model("checklists", "Case")
    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    for version in ProcedureVersion.objects.filter(number=1):
        Case.objects.filter(procedure_id=version.procedure_id, procedure_version=None).update(
            procedure_version=version
        )


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0027_case_procedure_version"),
    ]

    operations = [migrations.RunPython(name_version_1, migrations.RunPython.noop)]
