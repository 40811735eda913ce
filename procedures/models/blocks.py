"""Shared blocks: the WHO checklist's phases (Sign In, Time Out, Sign Out) defined once and
included by procedures, so a hospital edits its Time Out in one place.

A block has versions as a procedure has: a draft is edited, an administrator publishes it with
a change note, and the version it replaces is retired. A procedure that includes the block
holds a copy of each of its steps (``Step.block_step`` names the block's step copied), so a
case's steps stay its own snapshot as before; publishing the block publishes a new version of
every procedure that includes it (``procedures.blocks.publish_block``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from procedures.choices import Phase, StepKind, VersionStatus
from procedures.models.steps import TEXT, StepFields


class Block(models.Model):
    """A phase's items shared by procedures, e.g. "WHO Time Out"."""

    title = models.CharField(max_length=200, unique=True, validators=TEXT)
    slug = models.SlugField(max_length=100, unique=True)
    phase = models.CharField(
        max_length=16,
        choices=Phase.choices,
        help_text="The phase of the checklist its steps belong to, in every procedure.",
    )
    description = models.TextField(blank=True, validators=TEXT)

    class Meta:
        ordering = ["title"]
        verbose_name = "shared block"

    def __str__(self) -> str:
        return self.title

    def published_version(self) -> "BlockVersion | None":
        """The version procedures include (one query); None until one is published."""
        return self.versions.filter(status=VersionStatus.PUBLISHED).first()


class BlockVersion(models.Model):
    """One edition of a block's steps: a draft, then published (with its note), then retired."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_note = models.TextField(
        blank=True,
        max_length=2000,
        validators=TEXT,
        help_text=(
            "What changed and why, in a sentence or two: it is the change note of every "
            "procedure's new version too. Needed to publish."
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
        ordering = ["block", "-number"]
        permissions = [("publish_blockversion", "Can publish a shared block's draft")]
        constraints = [
            models.UniqueConstraint(fields=["block", "number"], name="block_version_unique_number"),
            models.UniqueConstraint(
                fields=["block"],
                condition=Q(status=VersionStatus.PUBLISHED),
                name="block_one_published_version",
                violation_error_message="A block has one published version at a time.",
            ),
            models.UniqueConstraint(
                fields=["block"],
                condition=Q(status=VersionStatus.DRAFT),
                name="block_one_draft",
                violation_error_message="A block has one draft at a time.",
            ),
            models.CheckConstraint(
                condition=Q(status=VersionStatus.DRAFT) | Q(published_at__isnull=False),
                name="block_version_published_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.block}, version {self.number} ({self.get_status_display().lower()})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class BlockStep(StepFields):
    """One item of a block; procedures that include the block hold a copy of it."""

    version = models.ForeignKey(BlockVersion, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="block_step_unique_position_per_version"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="block_step_min_not_above_max",
                violation_error_message="The minimum cannot be greater than the maximum.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.CHOICE) | ~Q(options=[]),
                name="block_step_choice_has_options",
                violation_error_message="A choice step needs at least one option.",
            ),
        ]
