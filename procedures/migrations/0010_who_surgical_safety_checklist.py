"""Installs a third procedure, "WHO Surgical Safety Checklist — any procedure": the 19 items of
the WHO Surgical Safety Checklist (2009) as its Sign In (7), Time Out (7) and Sign Out (5), with
no procedure-specific steps, so that any theatre can use SI Tracker on day one. It is its
version 1, published.

As in the SI fusion procedures (0002, 0006): the identity check and the Time Out's confirmation
aloud are hard stops, the whole Time Out gates the later phases, the counts expect "yes", and a
known allergy or an equipment problem needs its details. The procedure's name is typed at the
Sign Out (the template cannot know it).

The step data is frozen here: a migration imports no app code. Running it again changes
nothing (found by its slug). Unapplying removes the procedure, unless cases were made from it.
"""

import uuid

from django.db import migrations, models
from django.utils import timezone

SLUG = "who-surgical-safety-checklist"
TITLE = "WHO Surgical Safety Checklist — any procedure"
DESCRIPTION = (
    "The WHO Surgical Safety Checklist (2009) for any operation: the Sign In before induction "
    "of anaesthesia, the Time Out before skin incision and the Sign Out before the patient "
    "leaves the operating room, 19 items, with no steps of a particular procedure."
)
NOTE = "The WHO Surgical Safety Checklist (2009), its 19 items."
YES_NO_NA = ["Yes", "No", "Not applicable"]

# Keys left out take the model's defaults: required, no hard stop, not per side, no answers.
STEPS = (
    # Sign In: before induction of anaesthesia.
    (
        "sign_in",
        "Patient has confirmed identity, site, procedure and consent",
        {
            "kind": "check",
            "role": "nurse",
            "hard_stop": True,
            "guidance": (
                "Ask the patient to state their name, date of birth, the operation and its "
                "site; compare them with the wristband, the consent form and the case on screen."
            ),
        },
    ),
    (
        "sign_in",
        "Site marked",
        {
            "kind": "choice",
            "role": "surgeon",
            "options": YES_NO_NA,
            "guidance": "Not applicable only where there is no side or level to mark.",
        },
    ),
    (
        "sign_in",
        "Anaesthesia safety check completed",
        {"kind": "check", "role": "anaesthetist", "guidance": "Machine and medication check."},
    ),
    (
        "sign_in",
        "Pulse oximeter on the patient and functioning",
        {"kind": "check", "role": "anaesthetist"},
    ),
    (
        "sign_in",
        "Known allergy",
        {
            "kind": "yes_no",
            "role": "anaesthetist",
            "details_required_for": "yes",
            "guidance": "If yes, write the allergen and the reaction in the note.",
        },
    ),
    (
        "sign_in",
        "Difficult airway or aspiration risk",
        {
            "kind": "yes_no",
            "role": "anaesthetist",
            "guidance": "If yes, confirm that the equipment and assistance are available.",
        },
    ),
    (
        "sign_in",
        "Risk of more than 500 ml blood loss (7 ml/kg in children)",
        {
            "kind": "yes_no",
            "role": "anaesthetist",
            "guidance": "If yes, confirm two IVs or central access and that fluids are planned.",
        },
    ),
    # Time Out: before skin incision; the whole of it before any later step.
    (
        "time_out",
        "All team members introduced by name and role",
        {"kind": "check", "role": "nurse"},
    ),
    (
        "time_out",
        "Surgeon, anaesthetist and nurse verbally confirm patient, site and procedure",
        {
            "kind": "check",
            "role": "surgeon",
            "hard_stop": True,
            "guidance": "The whole team stops and agrees out loud before the skin is incised.",
        },
    ),
    (
        "time_out",
        "Antibiotic prophylaxis given within the last 60 minutes",
        {
            "kind": "choice",
            "role": "anaesthetist",
            "options": YES_NO_NA,
            "guidance": "Check the time it was given on the anaesthetic chart.",
        },
    ),
    (
        "time_out",
        "Surgeon reviews critical or non-routine steps, operative duration and anticipated "
        "blood loss",
        {"kind": "check", "role": "surgeon"},
    ),
    (
        "time_out",
        "Anaesthesia team reviews patient-specific concerns",
        {"kind": "check", "role": "anaesthetist"},
    ),
    (
        "time_out",
        "Nursing team confirms sterility (including indicator results) and raises equipment "
        "issues or concerns",
        {
            "kind": "check",
            "role": "nurse",
            "guidance": "Check the sterility indicator of every tray and pack opened.",
        },
    ),
    (
        "time_out",
        "Essential imaging displayed",
        {
            "kind": "choice",
            "role": "nurse",
            "options": YES_NO_NA,
            "guidance": "This patient's images, the right side, on screen.",
        },
    ),
    # Sign Out: before the patient leaves the operating room.
    (
        "sign_out",
        "Name of the procedure recorded",
        {
            "kind": "text",
            "role": "nurse",
            "guidance": "The nurse confirms aloud the name of the operation as performed.",
        },
    ),
    (
        "sign_out",
        "Instrument, sponge and needle counts correct",
        {
            "kind": "yes_no",
            "role": "scrub",
            "expected_answer": "yes",
            "guidance": "Counted by the scrub and the circulating nurse together.",
        },
    ),
    (
        "sign_out",
        "Specimen labelled (including the patient's name)",
        {
            "kind": "choice",
            "role": "nurse",
            "options": YES_NO_NA,
            "guidance": "Read the label aloud, including the patient's name.",
        },
    ),
    (
        "sign_out",
        "Equipment problems to be addressed",
        {
            "kind": "yes_no",
            "role": "nurse",
            "details_required_for": "yes",
            "guidance": "If yes, describe the problem and the equipment in the note.",
        },
    ),
    (
        "sign_out",
        "Key concerns for recovery and management of the patient reviewed",
        {"kind": "text", "role": "surgeon", "guidance": "Surgeon, anaesthetist and nurse."},
    ),
)


def install(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    Step = apps.get_model("procedures", "Step")
    if Procedure.objects.filter(slug=SLUG).exists():
        return
    now = timezone.now()
    procedure = Procedure.objects.create(
        slug=SLUG, title=TITLE, approach="any", description=DESCRIPTION
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        status="published",
        change_note=NOTE,
        created_at=now,
        published_at=now,
    )
    Step.objects.bulk_create(
        Step(
            version=version,
            key=uuid.uuid4(),
            position=position,
            phase=phase,
            title=title,
            gates_later_phases=phase == "time_out",
            options=list(fields.pop("options", [])),
            **fields,
        )
        for position, (phase, title, fields) in enumerate(
            ((phase, title, dict(fields)) for phase, title, fields in STEPS), start=1
        )
    )


def remove(apps, schema_editor):
    """In SQL: the ORM's cascade, on the models of an unapplied state, mistakes the versions'
    class. Nothing else points at these rows once no case is made from the procedure."""
    Procedure = apps.get_model("procedures", "Procedure")
    Case = apps.get_model("checklists", "Case")
    procedure = Procedure.objects.filter(slug=SLUG).first()
    if procedure is None or Case.objects.filter(procedure_id=procedure.pk).exists():
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procedures_step WHERE version_id IN "
            "(SELECT id FROM procedures_procedureversion WHERE procedure_id = %s)",
            [procedure.pk],
        )
        cursor.execute(
            "DELETE FROM procedures_procedureversion WHERE procedure_id = %s", [procedure.pk]
        )
        cursor.execute("DELETE FROM procedures_procedure WHERE id = %s", [procedure.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0009_steps_belong_to_versions"),
        ("checklists", "0031_case_procedure_version_required"),
    ]

    operations = [
        migrations.AlterField(
            model_name="procedure",
            name="approach",
            field=models.CharField(
                choices=[
                    ("minimally_invasive", "Minimally invasive"),
                    ("open", "Open"),
                    ("any", "Any"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(install, remove),
    ]
