"""The seeded procedures' WHO phases become shared blocks (issue 16), where they are the same.

- The WHO template ("any procedure"): its Sign In (7), Time Out (7) and Sign Out (5) become the
  blocks "WHO Sign In", "WHO Time Out" and "WHO Sign Out", for any procedure to include.
- The two SI joint fusion procedures ask the same Sign In (10 steps) and Time Out (7), in their
  own words (the sides seen, the implants, the fluoroscope), and the same Sign Out but for the
  name of the procedure typed in (each its own): these become "SI joint fusion Sign In", "… Time
  Out" and "… Sign Out" (4 steps), which both include; the name stays each procedure's own step.
  Their words are not the WHO template's: merging them would change what the teams read, a
  clinical lead's decision, not a migration's.

Each block is published as its version 1 with the steps as they are, and each published
procedure version's step is linked to the block step it is the same as (``Step.block_step``):
no step's content changes, no version is added, no case is touched. A phase whose steps differ
between the two SI procedures (edited since) gets no block. Running it again changes nothing
(found by their slugs). Going back unlinks every step and removes the blocks.
"""

from django.db import migrations
from django.utils import timezone

WHO = "who-surgical-safety-checklist"
SI = ("si-fusion-minimally-invasive", "si-fusion-open")
PHASES = {"sign_in": "Sign In", "time_out": "Time Out", "sign_out": "Sign Out"}
ITEM_FIELDS = (
    "phase",
    "title",
    "guidance",
    "required",
    "hard_stop",
    "gates_later_phases",
    "role",
    "per_side",
    "milestone",
    "kind",
    "unit",
    "min_value",
    "max_value",
    "options",
    "expected_answer",
    "details_required_for",
    "default_value",
)
NOTE = "The {label} shared by {whom}, as {whom} asked it (migration 0014)."


def item(step):
    return tuple(getattr(step, name) for name in ITEM_FIELDS)


def make_blocks(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    by_slug = {
        procedure.slug: procedure.versions.filter(status="published").first()
        for procedure in Procedure.objects.filter(slug__in=(WHO, *SI))
    }
    for phase, label in PHASES.items():
        who = by_slug.get(WHO)
        if who is not None:
            steps = list(who.steps.filter(phase=phase).order_by("position"))
            share(
                apps,
                f"who-{phase.replace('_', '-')}",
                f"WHO {label}",
                phase,
                [steps],
                note=NOTE.format(label=label, whom="the WHO Surgical Safety Checklist"),
            )
        versions = [by_slug.get(slug) for slug in SI]
        if all(version is not None for version in versions):
            runs = [list(v.steps.filter(phase=phase).order_by("position")) for v in versions]
            if len({len(run) for run in runs}) != 1:
                continue  # edited since: not the same steps
            # The steps both procedures ask alike, place by place; the others stay their own.
            pairs = [pair for pair in zip(*runs, strict=True) if item(pair[0]) == item(pair[1])]
            shared = [list(run) for run in zip(*pairs, strict=True)] if pairs else []
            share(
                apps,
                f"si-fusion-{phase.replace('_', '-')}",
                f"SI joint fusion {label}",
                phase,
                shared,
                note=NOTE.format(label=label, whom="both SI joint fusion procedures"),
            )


def share(apps, slug, title, phase, runs, *, note):
    """A block of ``runs[0]``'s steps, published, each of ``runs``' steps linked to it."""
    Block = apps.get_model("procedures", "Block")
    BlockVersion = apps.get_model("procedures", "BlockVersion")
    BlockStep = apps.get_model("procedures", "BlockStep")
    Step = apps.get_model("procedures", "Step")
    if not runs or not runs[0] or Block.objects.filter(slug=slug).exists():
        return
    now = timezone.now()
    block = Block.objects.create(slug=slug, title=title, phase=phase)
    version = BlockVersion.objects.create(
        block=block,
        number=1,
        status="published",
        change_note=note,
        created_at=now,
        published_at=now,
    )
    block_steps = BlockStep.objects.bulk_create(
        BlockStep(
            version=version,
            key=step.key,
            position=position,
            **{name: getattr(step, name) for name in ITEM_FIELDS},
        )
        for position, step in enumerate(runs[0], start=1)
    )
    for run in runs:
        for step, block_step in zip(run, block_steps, strict=True):
            step.block_step = block_step
        Step.objects.bulk_update(run, ["block_step"])


def remove_blocks(apps, schema_editor):
    """The links first, then the blocks, in SQL: the ORM's cascade, on the models of an
    unapplied state, mistakes the versions' class (as in 0010)."""
    Step = apps.get_model("procedures", "Step")
    Step.objects.filter(block_step__isnull=False).update(block_step=None)
    with schema_editor.connection.cursor() as cursor:
        for table in ("procedures_blockstep", "procedures_blockversion", "procedures_block"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- our own table names


class Migration(migrations.Migration):
    dependencies = [("procedures", "0013_shared_blocks")]

    operations = [migrations.RunPython(make_blocks, remove_blocks)]
