"""What changed between two versions of a procedure, in words a clinical lead reads: the steps
added, removed, moved, and changed field by field.

A step is followed from version to version by its ``key`` (a draft's copy keeps it), so a step
whose title changed is one step changed, not one removed and one added. A step has moved when
its place among the steps both versions share changed: the longest run of shared steps that
kept their order stays put, and every other shared step is named as moved.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Field

from procedures.models import BlockVersion, ProcedureVersion, Step, StepFields

# The fields compared, in the order a change is told.
COMPARED_FIELDS = (
    "phase",
    "title",
    "guidance",
    "role",
    "kind",
    "required",
    "hard_stop",
    "gates_later_phases",
    "per_side",
    "milestone",
    "unit",
    "min_value",
    "max_value",
    "options",
    "expected_answer",
    "details_required_for",
    "default_value",
)


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class StepEntry:
    """One step named in the diff: where it is (1-based, in its version) and what changed."""

    title: str
    phase: str
    position: int
    old_position: int | None = None
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    added: list[StepEntry] = field(default_factory=list)
    removed: list[StepEntry] = field(default_factory=list)
    moved: list[StepEntry] = field(default_factory=list)
    changed: list[StepEntry] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.changed)


def diff_versions(
    old: ProcedureVersion | BlockVersion, new: ProcedureVersion | BlockVersion
) -> VersionDiff:
    """What changed from ``old`` to ``new``: two queries."""
    return diff_steps(list(old.steps.order_by("position")), list(new.steps.order_by("position")))


def diff_steps(old: Sequence[StepFields], new: Sequence[StepFields]) -> VersionDiff:
    """The diff of two lists of steps, each in its order. Pure: reads only the steps given."""
    old_at = {step.key: index for index, step in enumerate(old, start=1)}
    new_at = {step.key: index for index, step in enumerate(new, start=1)}
    diff = VersionDiff()
    for position, step in enumerate(new, start=1):
        if step.key not in old_at:
            diff.added.append(_entry(step, position))
    for position, step in enumerate(old, start=1):
        if step.key not in new_at:
            diff.removed.append(_entry(step, position))
    shared_old = [step.key for step in old if step.key in new_at]
    shared_new = [step.key for step in new if step.key in old_at]
    stayed = _longest_common_run(shared_old, shared_new)
    by_key = {step.key: step for step in old}
    for position, step in enumerate(new, start=1):
        if step.key not in old_at:
            continue
        before = by_key[step.key]
        if step.key not in stayed:
            diff.moved.append(_entry(step, position, old_position=old_at[step.key]))
        changes = tuple(
            FieldChange(_label(name), _shown(before, name), _shown(step, name))
            for name in COMPARED_FIELDS
            if getattr(before, name) != getattr(step, name)
        )
        if changes:
            diff.changed.append(
                _entry(step, position, old_position=old_at[step.key], changes=changes)
            )
    return diff


def _entry(step: StepFields, position: int, **more: Any) -> StepEntry:
    return StepEntry(title=step.title, phase=step.get_phase_display(), position=position, **more)


def _longest_common_run(first: list[Any], second: list[Any]) -> set[Any]:
    """The items of the longest common subsequence of two orderings of the same items."""
    rows, cols = len(first), len(second)
    lengths = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            if first[i] == second[j]:
                lengths[i][j] = lengths[i + 1][j + 1] + 1
            else:
                lengths[i][j] = max(lengths[i + 1][j], lengths[i][j + 1])
    kept: set[Any] = set()
    i = j = 0
    while i < rows and j < cols:
        if first[i] == second[j]:
            kept.add(first[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def _label(name: str) -> str:
    model_field: Field = Step._meta.get_field(name)  # type: ignore[assignment]
    return str(model_field.verbose_name).capitalize()


def _shown(step: StepFields, name: str) -> str:
    """A field's value as the admin shows it: choices by label, yes/no, options one by one."""
    value = getattr(step, name)
    model_field: Field = Step._meta.get_field(name)  # type: ignore[assignment]
    if model_field.choices and value:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, list):
        return " / ".join(value) or "—"
    return str(value) if value not in (None, "") else "—"
