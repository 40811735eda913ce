"""Procedures (checklist templates), their versions and their steps."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from procedures.choices import Approach, StepKind, VersionStatus
from procedures.models.steps import TEXT, StepFields


class Procedure(models.Model):
    """A checklist template, e.g. SI joint fusion, minimally invasive."""

    title = models.CharField(max_length=200, unique=True, validators=TEXT)
    slug = models.SlugField(max_length=100, unique=True)
    approach = models.CharField(max_length=32, choices=Approach.choices)
    description = models.TextField(blank=True, validators=TEXT)
    active = models.BooleanField(default=True, help_text="Only active procedures can be scheduled.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def published_version(self) -> "ProcedureVersion | None":
        """The version new cases are made from (one query); None until one is published."""
        return self.versions.filter(status=VersionStatus.PUBLISHED).first()


class ProcedureVersion(models.Model):
    """One edition of a procedure's steps. A draft is edited in the admin and used for no case;
    an administrator publishes it with a change note, and from then on new cases are made from
    it, while the version it replaces is retired. A published or retired version never changes:
    the cases made from it name it."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_note = models.TextField(
        blank=True,
        max_length=2000,
        validators=TEXT,
        help_text=(
            "What changed and why, in a sentence or two the team will read, e.g. “Neuromonitoring "
            "check added before the first screw (M&M review, 12 May)”. Needed to publish."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["procedure", "-number"]
        permissions = [("publish_procedureversion", "Can publish a procedure's draft")]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="procedure_version_unique_number"
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status=VersionStatus.PUBLISHED),
                name="procedure_one_published_version",
                violation_error_message="A procedure has one published version at a time.",
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status=VersionStatus.DRAFT),
                name="procedure_one_draft",
                violation_error_message="A procedure has one draft at a time.",
            ),
            models.CheckConstraint(
                condition=Q(status=VersionStatus.DRAFT) | Q(published_at__isnull=False),
                name="procedure_version_published_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure}, version {self.number} ({self.get_status_display().lower()})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def asks_for_side(self) -> bool:
        """Whether its cases need a side: a step repeated per side or asking for the side seen
        (one query). A case without a side is only for a version that asks for none."""
        return self.steps.filter(Q(per_side=True) | Q(kind=StepKind.SIDE)).exists()


class Step(StepFields):
    """One item of a procedure's checklist; cases take a snapshot of it when they are created."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="steps")
    # The shared block's step this one is a copy of (None: the procedure's own step). Edited in
    # the block only; publishing the block replaces the copy in a new version of the procedure.
    block_step = models.ForeignKey(
        "procedures.BlockStep",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="copies",
    )
    # Not stored: on a step read from a file, the block step the file says it copies
    # (``procedures.blocks.BlockStepSource``), for ``procedures.blocks.link_copies``.
    source: Any = None

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="step_unique_position_per_version"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="step_min_not_above_max",
                violation_error_message="The minimum cannot be greater than the maximum.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.CHOICE) | ~Q(options=[]),
                name="step_choice_has_options",
                violation_error_message="A choice step needs at least one option.",
            ),
        ]
