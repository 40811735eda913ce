"""Shared blocks' versions: a draft started from the published steps, and its publication, which
publishes a new version of every procedure that includes the block.

A procedure includes a block by holding a copy of each of its steps (``Step.block_step``), among
its own steps of the same phase (its additions). Publishing the block puts the new steps in the
places the old ones held, in the block's order: a step added to the block goes after the last
of them, a step removed from it leaves its place; the procedure's own steps stay where they
are. A copy keeps its key through the versions (it follows the block step's key), so the
procedure's diff shows a block step changed, not removed and added.

Each procedure's new version is published at once, by the person who published the block, with
the block's change note; the version it replaces is retired, and the cases made from it keep
it. A procedure with a draft holds the block back (the draft would hold the old block's steps):
its draft is published or deleted first.
"""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from procedures.choices import PHASE_ORDER, Phase, VersionStatus
from procedures.models import (
    Block,
    BlockStep,
    BlockVersion,
    Procedure,
    ProcedureVersion,
    Step,
    check_step_order,
)
from procedures.versions import (
    BLOCK_ITEM_FIELDS,
    COPIED_FIELDS,
    DraftRefused,
    PublishRefused,
    log_change,
)

BLOCK_STEP_FIELDS = ("key", *BLOCK_ITEM_FIELDS)


def start_block_draft(*, block: Block, by: User) -> BlockVersion:
    """The block's draft: the one already started, else a new version holding a copy of the
    published steps (keys kept, so the diff follows them)."""
    with transaction.atomic():
        Block.objects.select_for_update().get(pk=block.pk)
        versions = BlockVersion.objects.filter(block=block)
        draft = versions.filter(status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        source = versions.filter(status=VersionStatus.PUBLISHED).first()
        source = source or versions.order_by("-number").first()
        top = versions.aggregate(top=Max("number"))["top"] or 0
        draft = BlockVersion.objects.create(
            block=block, number=top + 1, created_by=by, created_at=timezone.now()
        )
        if source is not None:
            BlockStep.objects.bulk_create(
                BlockStep(
                    version=draft,
                    position=step.position,
                    **{name: getattr(step, name) for name in BLOCK_STEP_FIELDS},
                )
                for step in source.steps.order_by("position")
            )
        log_change(block, by=by, action=ADDITION, message=f"Draft version {draft.number} started.")
    return draft


def including(block: Block) -> QuerySet[ProcedureVersion]:
    """The procedures' published versions that include ``block`` (any version of it)."""
    return (
        ProcedureVersion.objects.filter(
            status=VersionStatus.PUBLISHED, steps__block_step__version__block=block
        )
        .distinct()
        .select_related("procedure")
        .order_by("procedure__title")
    )


def publish_block(*, version: BlockVersion, by: User, note: str) -> list[ProcedureVersion]:
    """Publish a block's draft with its change note, and with it a new version of each
    procedure that includes the block (the procedures' new versions are returned). Refused
    whole (nothing published) if the block's steps or any procedure's new steps break a rule,
    or while a procedure that includes it has a draft."""
    note = note.strip()
    if not note:
        raise PublishRefused("Write a change note: what changed and why, for the team.")
    with transaction.atomic():
        block = Block.objects.select_for_update().get(pk=version.block_id)
        version = BlockVersion.objects.get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise PublishRefused(
                f"Version {version.number} is {version.get_status_display().lower()}: "
                "only a draft can be published."
            )
        steps = list(version.steps.order_by("position"))
        _check_block_steps(block, steps)
        version.change_note = note
        try:
            version.full_clean(exclude=["block", "created_by", "published_by"])
        except ValidationError as refused:
            raise PublishRefused(" ".join(refused.messages)) from None
        published = list(including(block))
        _check_no_drafts(published)
        # In the procedures' order, so that two blocks published at once do not deadlock.
        list(
            Procedure.objects.select_for_update()
            .filter(pk__in=[v.procedure_id for v in published])
            .order_by("pk")
        )
        now = timezone.now()
        BlockVersion.objects.filter(block=block, status=VersionStatus.PUBLISHED).update(
            status=VersionStatus.RETIRED
        )
        version.status, version.published_by, version.published_at = (
            VersionStatus.PUBLISHED,
            by,
            now,
        )
        version.save(update_fields=["status", "change_note", "published_by", "published_at"])
        log_change(
            block, by=by, action=CHANGE, message=f"Published version {version.number}: {note}"
        )
        procedure_note = f"{block} version {version.number}: {note}"
        return [
            _republish(old, block=block, steps=steps, by=by, note=procedure_note, now=now)
            for old in published
        ]


def _check_block_steps(block: Block, steps: list[BlockStep]) -> None:
    if not steps:
        raise PublishRefused("A version without steps cannot be published.")
    try:
        for step in steps:
            step.full_clean(exclude=["version"])
            if step.phase != block.phase:
                raise ValidationError(
                    f"“{step.title}” is in the {Phase(step.phase).label}: every step of "
                    f"{block} is in the {Phase(block.phase).label}."
                )
        check_step_order(steps)
    except ValidationError as refused:
        raise PublishRefused(" ".join(refused.messages)) from None


def _check_no_drafts(published: list[ProcedureVersion]) -> None:
    drafts = ProcedureVersion.objects.filter(
        procedure_id__in=[v.procedure_id for v in published], status=VersionStatus.DRAFT
    ).select_related("procedure")
    held = [f"{draft.procedure} (version {draft.number})" for draft in drafts]
    if held:
        raise PublishRefused(
            f"A procedure that includes this block has a draft: {', '.join(held)}. Publish or "
            "delete it first: it holds the block's old steps."
        )


def _republish(
    old: ProcedureVersion,
    *,
    block: Block,
    steps: list[BlockStep],
    by: User,
    note: str,
    now: datetime.datetime,
) -> ProcedureVersion:
    """A new published version of ``old``'s procedure holding the block's ``steps``."""
    current = list(old.steps.select_related("block_step__version").order_by("position"))
    new_steps = with_block(current, block_id=block.pk, block_steps=steps)
    try:
        check_step_order(new_steps)
    except ValidationError as refused:
        raise PublishRefused(f"{old.procedure}: {' '.join(refused.messages)}") from None
    ProcedureVersion.objects.filter(pk=old.pk).update(status=VersionStatus.RETIRED)
    top = ProcedureVersion.objects.filter(procedure_id=old.procedure_id).aggregate(
        top=Max("number")
    )["top"]
    new = ProcedureVersion.objects.create(
        procedure_id=old.procedure_id,
        number=top + 1,
        status=VersionStatus.PUBLISHED,
        change_note=note,
        created_by=by,
        created_at=now,
        published_by=by,
        published_at=now,
    )
    for step in new_steps:
        step.version = new
    Step.objects.bulk_create(new_steps)
    log_change(
        old.procedure,
        by=by,
        action=CHANGE,
        message=f"Published version {new.number}: {note}",
    )
    return new


def with_block(
    steps: Sequence[Step], *, block_id: int, block_steps: Sequence[BlockStep]
) -> list[Step]:
    """A procedure's ``steps`` (in order) with the block's steps put in place of its copies of
    an earlier version of the block, unsaved and numbered from 1. Pure, but for the copies'
    ``block_step.version``, which the caller loads."""
    slots = [
        index
        for index, step in enumerate(steps)
        if step.block_step is not None and step.block_step.version.block_id == block_id
    ]
    keys = {steps[index].block_step.key: steps[index].key for index in slots}  # type: ignore[union-attr]
    copies = [copy_of(block_step, key=keys.get(block_step.key)) for block_step in block_steps]
    result: list[Step] = []
    for index, step in enumerate(steps):
        if index not in slots:
            result.append(Step(**{name: getattr(step, name) for name in COPIED_FIELDS}))
            continue
        order = slots.index(index)
        if order < len(copies):
            result.append(copies[order])
        if index == slots[-1]:
            result.extend(copies[len(slots) :])
    for position, step in enumerate(result, start=1):
        step.position = position
    return result


def copy_of(block_step: BlockStep, *, key: uuid.UUID | None = None) -> Step:
    """A procedure's copy of a block's step, unsaved and unplaced."""
    fields = {name: getattr(block_step, name) for name in BLOCK_ITEM_FIELDS}
    return Step(key=key or uuid.uuid4(), block_step=block_step, **fields)


def include_block(*, draft: ProcedureVersion, block: Block) -> list[Step]:
    """Add the block's published steps to a procedure's draft, after its steps of the same or
    an earlier phase. Refused if the block has no published version or the draft includes it
    already."""
    with transaction.atomic():
        ProcedureVersion.objects.select_for_update().get(pk=draft.pk)
        if not draft.is_draft:
            raise DraftRefused("Only a draft can include a block.")
        published = block.published_version()
        if published is None:
            raise DraftRefused(f"{block} has no published version yet.")
        steps = list(draft.steps.select_related("block_step__version").order_by("position"))
        if any(
            s.block_step is not None and s.block_step.version.block_id == block.pk for s in steps
        ):
            raise DraftRefused(f"The draft includes {block} already.")
        at = sum(1 for step in steps if PHASE_ORDER[step.phase] <= PHASE_ORDER[block.phase])
        copies = [copy_of(block_step) for block_step in published.steps.order_by("position")]
        ordered = [*steps[:at], *copies, *steps[at:]]
        try:
            check_step_order(ordered)
        except ValidationError as refused:
            raise DraftRefused(" ".join(refused.messages)) from None
        stored = Step.objects.filter(version=draft)
        top = len(ordered) + (stored.aggregate(top=Max("position"))["top"] or 0)
        for step in steps:  # out of the way first: positions are unique within a version
            step.position += top
        Step.objects.bulk_update(steps, ["position"])
        for position, step in enumerate(ordered, start=1):
            step.position, step.version = position, draft
        Step.objects.bulk_update(steps, ["position"])
        Step.objects.bulk_create(copies)
    return copies


@dataclass(frozen=True)
class BlockStepSource:
    """The block step an imported step says it copies (a Questionnaire's extension)."""

    slug: str
    number: str
    key: str


def link_copies(steps: Sequence[Step]) -> None:
    """Link each imported step that names a block step (its ``source``) to that step, where
    this database holds it and the step is the same as it; else it stays the procedure's own
    step. One query."""
    named = [step for step in steps if getattr(step, "source", None) is not None]
    wanted = Q()
    for step in named:
        source = step.source
        if source.number.isdigit() and _is_uuid(source.key):
            wanted |= Q(
                version__block__slug=source.slug,
                version__number=int(source.number),
                key=source.key,
            )
    if not wanted:
        return
    found = {
        (block_step.version.block.slug, str(block_step.version.number), str(block_step.key)): (
            block_step
        )
        for block_step in BlockStep.objects.filter(wanted).select_related("version__block")
    }
    for step in named:
        source = step.source
        original = found.get((source.slug, source.number, source.key))
        if original is not None and all(
            getattr(step, name) == getattr(original, name) for name in BLOCK_ITEM_FIELDS
        ):
            step.block_step = original


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
