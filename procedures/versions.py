"""A procedure's versions: a draft started from the published steps, and its publication.

Publishing is written to the admin's log (``LogEntry``) on the procedure, as the admin's own
changes are: the procedure's history in the admin says who published which version, when,
and with what note.
"""

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from procedures.choices import VersionStatus
from procedures.models import BlockStep, Procedure, ProcedureVersion, Step, check_step_order

# Everything a copy of a step keeps: the step itself, not where it is stored. By attribute
# name, so that the block step a copy names is copied by its id, with no query.
COPIED_FIELDS = tuple(
    field.attname
    for field in Step._meta.concrete_fields
    if not field.primary_key and field.name != "version"
)
# What a procedure's copy of a block's step holds as the block has it: the item itself, not
# its identity (key) or its place in the procedure (position).
BLOCK_ITEM_FIELDS = tuple(
    field.name
    for field in BlockStep._meta.concrete_fields
    if field.name not in ("id", "version", "key", "position")
)


class PublishRefused(Exception):
    """A draft that cannot be published as it is; the message says why, for the administrator."""


class DraftRefused(Exception):
    """A draft that cannot be started as asked; the message says why, for the administrator."""


def start_draft(*, procedure: Procedure, by: User) -> ProcedureVersion:
    """The procedure's draft: the one already started, else a new version holding a copy of the
    published steps (or of the newest version's, before any is published)."""
    with transaction.atomic():
        # One draft at a time: two administrators starting one at once get the same.
        Procedure.objects.select_for_update().get(pk=procedure.pk)
        versions = ProcedureVersion.objects.filter(procedure=procedure)
        draft = versions.filter(status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        published = versions.filter(status=VersionStatus.PUBLISHED).first()
        source = published or versions.order_by("-number").first()
        steps = [
            Step(**{name: getattr(step, name) for name in COPIED_FIELDS})
            for step in (source.steps.order_by("position") if source is not None else [])
        ]
        draft = _new_draft(procedure, steps=steps, by=by)
        log_change(
            procedure, by=by, action=ADDITION, message=f"Draft version {draft.number} started."
        )
    return draft


def import_draft(
    *, procedure: Procedure, steps: list[Step], by: User | None, source: str
) -> ProcedureVersion:
    """A new draft of the procedure holding ``steps`` (unsaved, as an imported file gave them,
    already checked). Refused while the procedure has a draft: an import never overwrites a
    lead's work in progress."""
    with transaction.atomic():
        Procedure.objects.select_for_update().get(pk=procedure.pk)
        draft = ProcedureVersion.objects.filter(
            procedure=procedure, status=VersionStatus.DRAFT
        ).first()
        if draft is not None:
            raise DraftRefused(
                f"{procedure} already has a draft (version {draft.number}): publish or delete "
                "it first, so that no one's edits are overwritten."
            )
        draft = _new_draft(procedure, steps=steps, by=by)
        if by is not None:  # a command run without --by names no one
            message = f"Draft version {draft.number} imported from {source}."
            log_change(procedure, by=by, action=ADDITION, message=message)
    return draft


def _new_draft(procedure: Procedure, *, steps: list[Step], by: User | None) -> ProcedureVersion:
    """A new version numbered after the newest, holding ``steps``; the caller holds the lock."""
    top = ProcedureVersion.objects.filter(procedure=procedure).aggregate(top=Max("number"))
    draft = ProcedureVersion.objects.create(
        procedure=procedure,
        number=(top["top"] or 0) + 1,
        created_by=by,
        created_at=timezone.now(),
    )
    for step in steps:
        step.version = draft
    Step.objects.bulk_create(steps)
    return draft


def publish(*, version: ProcedureVersion, by: User, note: str) -> ProcedureVersion:
    """Publish a draft with its change note: new cases are made from it from now on, and the
    version it replaces is retired (its cases keep it)."""
    note = note.strip()
    if not note:
        raise PublishRefused("Write a change note: what changed and why, for the team.")
    with transaction.atomic():
        Procedure.objects.select_for_update().get(pk=version.procedure_id)
        version = ProcedureVersion.objects.select_related("procedure").get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise PublishRefused(
                f"Version {version.number} is {version.get_status_display().lower()}: "
                "only a draft can be published."
            )
        steps = list(version.steps.order_by("position"))
        if not steps:
            raise PublishRefused("A version without steps cannot be published.")
        try:
            for step in steps:
                step.full_clean(exclude=["version"])
            check_step_order(steps)
            check_block_copies(steps)
            version.change_note = note
            version.full_clean(exclude=["procedure", "created_by", "published_by"])
        except ValidationError as refused:
            raise PublishRefused(" ".join(refused.messages)) from None
        now = timezone.now()
        ProcedureVersion.objects.filter(
            procedure_id=version.procedure_id, status=VersionStatus.PUBLISHED
        ).update(status=VersionStatus.RETIRED)
        version.status = VersionStatus.PUBLISHED
        version.published_by, version.published_at = by, now
        version.save(update_fields=["status", "change_note", "published_by", "published_at"])
        log_change(
            version.procedure,
            by=by,
            action=CHANGE,
            message=f"Published version {version.number}: {note}",
        )
    return version


def check_block_copies(steps: list[Step]) -> None:
    """A block's steps are edited in the block only: a procedure's copy that differs from the
    block's step it names is refused (one query)."""
    copied = [step for step in steps if step.block_step_id is not None]
    originals = BlockStep.objects.select_related("version__block").in_bulk(
        [step.block_step_id for step in copied]
    )
    for step in copied:
        original = originals[step.block_step_id]
        if any(getattr(step, name) != getattr(original, name) for name in BLOCK_ITEM_FIELDS):
            raise ValidationError(
                f"“{step.title}” differs from the step of {original.version.block} version "
                f"{original.version.number} it comes from: edit it in the block."
            )


def log_change(target: models.Model, *, by: User, action: int, message: str) -> None:
    """The admin's history of ``target`` (a procedure or a block) says who did what."""
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[target],
        action_flag=action,
        change_message=message,
        single_object=True,
    )
