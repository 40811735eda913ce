"""A checklist item's fields and rules, shared by a procedure's steps and a shared block's, and
the rules a list of steps keeps (``check_step_order``)."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from accounts.text import validate_plain_text
from procedures.choices import (
    PHASE_ORDER,
    Milestone,
    Phase,
    StepKind,
    StepRole,
)

LAST_PHASE = Phase.values[-1]

YES = "yes"
NO = "no"
YES_NO_ANSWERS = (YES, NO)
# A side step's answers (``StepKind.SIDE``): the side seen. "both" is a bilateral case's.
LEFT, RIGHT, BOTH = "left", "right", "both"
SIDE_ANSWERS = (LEFT, RIGHT, BOTH)
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 100
TEXT = [validate_plain_text]


def validate_options(options: Any) -> None:
    """A choice step's answers: a list of short plain texts, each once. Checked by the admin's
    form and again before every save, so a row the pages cannot show is never stored."""
    if not isinstance(options, list) or not all(isinstance(option, str) for option in options):
        raise ValidationError("Options must be a list of answers, one per line.")
    if len(options) > MAX_OPTIONS:
        raise ValidationError(f"A step has at most {MAX_OPTIONS} options.")
    for option in options:
        if not option.strip() or option != option.strip():
            raise ValidationError("Each option needs words, without spaces around them.")
        if len(option) > MAX_OPTION_LENGTH:
            raise ValidationError(f"An option has at most {MAX_OPTION_LENGTH} characters.")
        validate_plain_text(option)
    if len(set(options)) != len(options):
        raise ValidationError("Each option must appear once.")


class AnswerRules:
    """What a step asks for, shared by a template step and its snapshot on a case."""

    kind: str
    unit: str
    min_value: Decimal | None
    max_value: Decimal | None
    options: list[str]
    expected_answer: str

    def answers(self) -> tuple[str, ...]:
        """The answers a yes/no or choice step accepts."""
        if self.kind == StepKind.YES_NO:
            return YES_NO_ANSWERS
        if self.kind == StepKind.CHOICE:
            return tuple(self.options)
        if self.kind == StepKind.SIDE:
            return SIDE_ANSWERS
        return ()

    def kind_summary(self) -> str:
        """A readable description of what the step asks for, e.g. "Number, 3–5 cm"."""
        return describe_kind(
            kind=self.kind,
            unit=self.unit,
            min_value=self.min_value,
            max_value=self.max_value,
            options=self.options,
            expected_answer=self.expected_answer,
        )


class StepFields(AnswerRules, models.Model):
    """What a checklist item is, shared by a procedure's step (``Step``) and a shared block's
    (``BlockStep``), so both are edited, checked and copied by the same rules."""

    # The same step through the versions: a draft's copy keeps it, so the diff between two
    # versions follows a step whose title or place changed.
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    phase = models.CharField(
        max_length=16,
        choices=Phase.choices,
        help_text=(
            "When the team does it, in the WHO checklist's order: Sign In before anaesthesia, "
            "Induction and positioning, Time Out before the skin incision, Procedure, Sign Out "
            "before the patient leaves the room."
        ),
    )
    position = models.PositiveIntegerField(help_text="Order within the procedure, across phases.")
    title = models.CharField(
        max_length=200,
        validators=TEXT,
        help_text=(
            "What the team confirms, as it is read aloud, e.g. “Antibiotic prophylaxis given "
            "within the last 60 minutes”."
        ),
    )
    guidance = models.TextField(
        blank=True,
        validators=TEXT,
        help_text="A short hint shown under the step on the tablet: what to check, or where.",
    )
    required = models.BooleanField(
        default=True,
        help_text="The surgeon cannot sign the case out until it is done or marked not applicable "
        "with a reason.",
    )
    hard_stop = models.BooleanField(
        default=False,
        help_text=(
            "No later step may be recorded until this one is done: for the checks that must never "
            "be passed over, such as the patient's identity."
        ),
    )
    # db_default too: servers still on the code before this field (a rolling deploy) insert
    # steps without naming the column.
    gates_later_phases = models.BooleanField(
        default=False,
        db_default=False,
        help_text=(
            "While this step is pending (and required), no step of a later phase may be "
            "recorded. Mark every step of a phase to make the whole phase a gate (the Time Out)."
        ),
    )
    role = models.CharField(
        "who confirms it",
        max_length=16,
        choices=StepRole.choices,
        help_text="Who normally confirms it. Anyone in the team may record it; the record then "
        "says for whom.",
    )
    per_side = models.BooleanField(
        default=False,
        help_text="Asked once for each side in a bilateral case, e.g. the incision or the implant.",
    )
    # db_default too: servers still on the code before this field (a rolling deploy) insert
    # steps without naming the column.
    milestone = models.CharField(
        max_length=16,
        choices=Milestone.choices,
        blank=True,
        default="",
        db_default="",
        help_text=(
            "The moment of the operation this step records, if any. Mark the step that records "
            "the skin incision: reviewers check that the Time Out was complete before it."
        ),
    )
    kind = models.CharField(
        "answer",
        max_length=16,
        choices=StepKind.choices,
        default=StepKind.CHECK,
        help_text="How the team answers: a tick; yes or no; a number within limits; one of a "
        "list of options; a few words; the implants scanned; or the side they see (left, right "
        "or both), which must be the case's side: a side that is not holds the whole case "
        "until the surgeon resolves it.",
    )
    unit = models.CharField(
        max_length=20,
        blank=True,
        validators=TEXT,
        help_text="Number steps: the unit shown beside the answer, e.g. cm or ml.",
    )
    min_value = models.DecimalField(
        "lowest answer",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Number steps: the lowest answer accepted, e.g. 3 for an incision of 3–5 cm. "
        "Empty: no lower limit.",
    )
    max_value = models.DecimalField(
        "highest answer",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Number steps: the highest answer accepted. Empty: no upper limit.",
    )
    options = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_options],
        help_text="Choice steps: the answers the team chooses from, one per line.",
    )
    expected_answer = models.CharField(
        max_length=100,
        blank=True,
        validators=TEXT,
        help_text="Yes/no and choice steps: the answer sign-out needs (e.g. yes for consent).",
    )
    details_required_for = models.CharField(
        max_length=100,
        blank=True,
        validators=TEXT,
        help_text="Yes/no and choice steps: the answer that needs details written in the note.",
    )
    default_value = models.CharField(
        max_length=200,
        blank=True,
        validators=TEXT,
        help_text="Text steps: the words already filled in, which the team may change.",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The one field whose content no database constraint can check: every case snapshot
        # copies it, and a page that cannot show it fails for every case of the procedure.
        validate_options(self.options)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            errors["max_value"] = "The minimum cannot be greater than the maximum."
        if self.kind != StepKind.NUMBER and (
            self.unit or self.min_value is not None or self.max_value is not None
        ):
            errors["unit"] = "Only number steps have a unit and bounds."
        if self.kind == StepKind.CHOICE:
            try:
                validate_options(self.options)
            except ValidationError as refused:
                errors["options"] = " ".join(refused.messages)
            else:
                if not self.options:
                    errors["options"] = "A choice step needs at least one option."
        elif self.options:
            errors["options"] = "Only choice steps have options."
        if self.kind == StepKind.SIDE and self.expected_answer:
            errors["expected_answer"] = (
                "A side step expects the case's side: it has no expected answer of its own."
            )
        answers = self.answers() if "options" not in errors else ()
        for field in ("expected_answer", "details_required_for"):
            value = getattr(self, field)
            if value and value not in answers:
                allowed = ", ".join(answers) or "none for this kind of step"
                errors[field] = f"Must be one of the step's answers ({allowed})."
        if self.hard_stop and not self.required:
            errors["required"] = "A hard stop must be required: nothing may pass it unrecorded."
        if self.gates_later_phases and self.phase == LAST_PHASE:
            errors["gates_later_phases"] = f"No phase comes after the {Phase(self.phase).label}."
        if self.default_value and self.kind != StepKind.TEXT:
            errors["default_value"] = "Only text steps have a default answer."
        if self.milestone and self.phase != Phase.PROCEDURE:
            errors["milestone"] = "Only a step of the Procedure phase marks a milestone."
        if errors:
            raise ValidationError(errors)


def check_step_order(steps: Sequence[StepFields]) -> None:
    """The rules a procedure's steps keep as a list, in their order: the phases run in the WHO
    checklist's order, and a phase gates the later ones as a whole or not at all. Checked by the
    admin's editor and again when a draft is published."""
    for earlier, later in pairwise(steps):
        if PHASE_ORDER[later.phase] < PHASE_ORDER[earlier.phase]:
            order = ", ".join(Phase.labels)
            raise ValidationError(
                f"Phases must run in order ({order}): “{later.title}” "
                f"({Phase(later.phase).label}) comes after “{earlier.title}” "
                f"({Phase(earlier.phase).label}). Drag it back among the steps of its phase, "
                "or change its phase."
            )
    # A phase gates the later ones as a whole (the Time Out before the incision): its steps all
    # say so, or none does, so that a step added to it later is not forgotten.
    marks: dict[str, set[bool]] = defaultdict(set)
    for step in steps:
        marks[step.phase].add(bool(step.gates_later_phases))
    split = [phase for phase in Phase.values if len(marks[phase]) > 1]
    if split:
        labels = ", ".join(Phase(phase).label for phase in split)
        raise ValidationError(
            f"“Gates later phases” is ticked on some steps of the {labels} and not on "
            "others: a phase gates the later ones as a whole. Tick it on all of its steps, "
            "or on none."
        )


def describe_kind(
    *,
    kind: str,
    unit: str,
    min_value: Decimal | None,
    max_value: Decimal | None,
    options: list[str],
    expected_answer: str,
) -> str:
    """Shared by templates and case snapshots, so both read the same way."""
    label = StepKind(kind).label
    if kind == StepKind.NUMBER:
        bounds = ""
        if min_value is not None and max_value is not None:
            bounds = f"{min_value.normalize():f}–{max_value.normalize():f}"
        elif min_value is not None:
            bounds = f"at least {min_value.normalize():f}"
        elif max_value is not None:
            bounds = f"at most {max_value.normalize():f}"
        return ", ".join(part for part in (label, " ".join(filter(None, [bounds, unit]))) if part)
    if kind == StepKind.CHOICE:
        return f"{label}: {' / '.join(options)}"
    if kind == StepKind.YES_NO and expected_answer:
        return f"{label} (must be {expected_answer})"
    return label
