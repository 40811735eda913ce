"""The seeded procedures in clinical order: an Induction and positioning phase, and the Time Out
as a gate.

Anaesthesia is induced after the Sign In and the patient positioned before the Time Out, but
0002 seeded "General anaesthesia induced" and the positioning step at the start of the
procedure phase, after the Time Out's hard stop: they could only be recorded late, at false
times. Here, in the two seeded procedures, they move to the new phase between the Sign In and
the Time Out (the open procedure, which had no positioning step, gains "Patient positioned
prone"), and every Time Out step is marked as gating the later phases, so that no procedure
step is recorded before the whole Time Out is (si-joint-fusion.md).

An administrator may have edited the templates: steps are found by the procedure's slug and
the step's title, and what is not found is left alone. Positions are renumbered so that the
phases run in order, each phase keeping its own order. Running it again changes nothing.
Existing cases keep the snapshot they were made with (and so the rules they were made with):
only new cases see the new order and the gate.

The step data is frozen here, as in 0002: a migration imports no app code. 0004 made the
phase and the gate's column: on PostgreSQL a migration that changes rows cannot then alter
their table in the same transaction (pending foreign-key checks), as unapplying would.
"""

from django.db import migrations, models

# The phases in order, as this migration knows them.
PHASES = ("sign_in", "induction", "time_out", "procedure", "sign_out")

ANAESTHESIA = "General anaesthesia induced"
MOVES = {
    "si-fusion-minimally-invasive": (
        ANAESTHESIA,
        "Patient positioned prone; fluoroscopic inlet, outlet and lateral views obtained",
    ),
    "si-fusion-open": (ANAESTHESIA, "Patient positioned prone"),
}
# Steps the specification has that 0002 did not seed: made if their procedure lacks them.
NEW_STEPS = {
    ("si-fusion-open", "Patient positioned prone"): {"kind": "check", "role": "surgeon"},
}


def into_clinical_order(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    Step = apps.get_model("procedures", "Step")
    for slug, titles in MOVES.items():
        procedure = Procedure.objects.filter(slug=slug).first()
        if procedure is None:
            continue
        steps = Step.objects.filter(procedure_id=procedure.pk)
        for title in titles:
            moved = steps.filter(phase="procedure", title=title).update(phase="induction")
            spec = NEW_STEPS.get((slug, title))
            if not moved and spec and not steps.filter(title=title).exists():
                # Made past the end; the renumbering puts it after the induction steps before it.
                top = steps.aggregate(top=models.Max("position"))["top"] or 0
                Step.objects.create(
                    procedure=procedure, phase="induction", title=title, position=top + 1, **spec
                )
        steps.filter(phase="time_out").update(gates_later_phases=True)
        _renumber(Step, procedure)


def back_to_the_procedure_phase(apps, schema_editor):
    """The older code knows no Induction phase: its steps go back to the start of the procedure
    phase, in their order, the step made here goes and the seeded Time Outs no longer gate,
    so that the seeded procedures are as 0002 left them (and 0002, run again, finds its steps
    where it put them)."""
    Procedure = apps.get_model("procedures", "Procedure")
    Step = apps.get_model("procedures", "Step")
    Step.objects.filter(procedure__slug__in=MOVES, phase="time_out").update(
        gates_later_phases=False
    )
    changed = set(Procedure.objects.filter(steps__phase="induction").values_list("pk", flat=True))
    for slug, title in NEW_STEPS:
        made = Step.objects.filter(procedure__slug=slug, title=title)
        changed.update(made.values_list("procedure_id", flat=True))
        made.delete()
    Step.objects.filter(phase="induction").update(phase="procedure")
    for procedure in Procedure.objects.filter(pk__in=changed):
        _renumber(Step, procedure)


def _renumber(Step, procedure) -> None:
    """Positions 1, 2, ... with the phases in order, each keeping its own order. Positions are
    unique per procedure, so every step that moves is parked past the end first."""
    # Not ``procedure.steps``: a historical model may lack the reverse accessor while several
    # apps are migrated backwards together (the delayed rendering of migration states).
    steps = list(Step.objects.filter(procedure_id=procedure.pk).order_by("position", "pk"))
    ordered = sorted(steps, key=lambda step: PHASES.index(step.phase))  # stable
    moving = [
        (step, position)
        for position, step in enumerate(ordered, start=1)
        if step.position != position
    ]
    parking = max((step.position for step in steps), default=0) + 1
    for offset, (step, _) in enumerate(moving):
        Step.objects.filter(pk=step.pk).update(position=parking + offset)
    for step, position in moving:
        Step.objects.filter(pk=step.pk).update(position=position)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0005_step_gates_later_phases"),
    ]

    operations = [migrations.RunPython(into_clinical_order, back_to_the_procedure_phase)]
