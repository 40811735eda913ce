"""The cases scheduled before versions were made from what became version 1 of their procedure
(procedures 0008): each names it.

Going back (the column itself is dropped by 0027), procedures 0008 keeps of each procedure
only the steps of its published version (else of its newest): the case steps copied from the
others lose their link to the template step first, as when a step is deleted."""

from django.db import migrations


def name_version_1(apps, schema_editor):
    Case = apps.get_model("checklists", "Case")
    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    for version in ProcedureVersion.objects.filter(number=1):
        Case.objects.filter(procedure_id=version.procedure_id, procedure_version=None).update(
            procedure_version=version
        )


def unlink_steps_of_versions_going(apps, schema_editor):
    CaseStep = apps.get_model("checklists", "CaseStep")
    Procedure = apps.get_model("procedures", "Procedure")
    for procedure in Procedure.objects.all():
        versions = procedure.versions.order_by("-number")
        kept = versions.filter(status="published").first() or versions.first()
        if kept is None:
            continue
        CaseStep.objects.filter(template_step__version__procedure=procedure).exclude(
            template_step__version=kept
        ).update(template_step=None)


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0029_case_procedure_version"),
    ]

    operations = [migrations.RunPython(name_version_1, unlink_steps_of_versions_going)]
