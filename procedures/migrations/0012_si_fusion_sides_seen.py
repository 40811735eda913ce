"""Sides must agree (issue 14): each SI joint fusion procedure gets a new published version in
which the three Sign In and Time Out steps that check the side ask for the side the person
sees (a side step: left, right or both) instead of a tick: the side on the consent form, the
side of the skin mark, and the side of the images on screen. The workflow compares the answer
with the case's side (``checklists.workflow.sides``).

"Operative site marked" was a choice of Yes / No / Not applicable: a site not marked now stays
to do until it is marked (or is marked not applicable, with why), and the answer says where
the mark is. The Time Out's "Patient, procedure, side and position confirmed aloud" stays a
tick: it is read aloud in the Time Out's own mode, and the imaging beside it in the same Time
Out asks for the side seen.

Cases keep the version they were made from; new cases are made from this one. Every other
step is copied as it is, with its key, so the versions' diff follows each step. Running it
again changes nothing (a published version that asks for a side seen is left as it is). Going
back removes the new version, unless a case was made from it, and publishes the one it retired
again.
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

SLUGS = ("si-fusion-minimally-invasive", "si-fusion-open")
NOTE = (
    "Sides must agree: the consent's side, the skin mark's side and the images' side are "
    "tapped as seen (left, right or both) instead of ticked; a side that is not the case's "
    "holds the whole case until the surgeon resolves it (issue 14)."
)
SIDE_STEPS = {
    "Procedure and side confirmed against consent": (
        "Read the procedure and the side on the consent form, and tap the side written there. "
        "A side that is not the case's holds the case for the surgeon."
    ),
    "Operative site marked": (
        "Look at the skin and tap the side the mark is on (both, if both sides are marked). "
        "The mark must stay visible after draping. Not marked: mark it first."
    ),
    "Essential imaging displayed; fluoroscope positioned": (
        "This patient's images on screen: tap the side they show the operation on."
    ),
}


def publish_sides_seen(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    Step = apps.get_model("procedures", "Step")
    copied = [
        field.name
        for field in Step._meta.concrete_fields
        if not field.primary_key and field.name != "version"
    ]
    now = timezone.now()
    for procedure in Procedure.objects.filter(slug__in=SLUGS):
        published = procedure.versions.filter(status="published").first()
        if published is None or published.steps.filter(kind="side").exists():
            continue  # none to copy, or it asks for the sides seen already
        top = procedure.versions.aggregate(top=Max("number"))["top"]
        procedure.versions.filter(pk=published.pk).update(status="retired")
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=top + 1,
            status="published",
            change_note=NOTE,
            created_at=now,
            published_at=now,
        )
        steps = []
        for step in published.steps.order_by("position"):
            fields = {name: getattr(step, name) for name in copied}
            if step.title in SIDE_STEPS:
                fields.update(
                    kind="side",
                    options=[],
                    expected_answer="",
                    details_required_for="",
                    guidance=SIDE_STEPS[step.title],
                )
            steps.append(Step(version=version, **fields))
        Step.objects.bulk_create(steps)


def withdraw_sides_seen(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    Case = apps.get_model("checklists", "Case")
    for procedure in Procedure.objects.filter(slug__in=SLUGS):
        version = procedure.versions.filter(change_note=NOTE).first()
        if version is None or Case.objects.filter(procedure_version_id=version.pk).exists():
            continue
        was_published = version.status == "published"
        version.steps.all().delete()
        version.delete()
        if was_published:
            retired = procedure.versions.filter(status="retired").order_by("-number").first()
            if retired is not None:
                procedure.versions.filter(pk=retired.pk).update(status="published")


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0011_step_kind_side"),
        ("checklists", "0031_case_procedure_version_required"),
    ]

    operations = [migrations.RunPython(publish_sides_seen, withdraw_sides_seen)]
