"""Procedure templates in the admin: a procedure and its steps, edited as one ordered table."""

from collections import defaultdict
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Max, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from procedures.choices import PHASE_ORDER, Phase
from procedures.models import Procedure, Step

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class OptionsField(forms.CharField):
    """A choice step's answers, typed one per line (no JSON to write); blank lines are dropped.
    The model's ``validate_options`` checks the list."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 24})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(option) for option in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(self.prepare_value(initial) or "") != self.to_python(data)


class StepForm(forms.ModelForm):
    options = OptionsField(
        required=False,
        strip=False,
        help_text="Choice steps: the answers the team chooses from, one per line.",
    )


class StepFormSet(BaseInlineFormSet):
    """A procedure's steps, checked and saved as one ordered list.

    The database keeps positions unique per procedure. Renumbering steps (swapping two, say)
    is therefore checked among the submitted rows, not against the rows about to move, and
    saving first parks every renumbered row on a free position, so no statement ever meets
    the constraint halfway through the change.
    """

    def clean(self) -> None:
        if any(self.errors):
            return  # each row shows its own errors first
        kept = sorted(self._kept_rows(), key=lambda row: row["position"])
        self._check_positions_are_unique(kept)
        super().clean()
        self._check_phases_run_in_order(kept)
        self._check_gating_phases_are_whole(kept)

    def _kept_rows(self) -> list[dict[str, Any]]:
        # An untouched blank row has no cleaned data; a row ticked for deletion frees its position.
        # (_should_delete_form is BaseFormSet's own test for that tick; the stubs leave it out.)
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)  # type: ignore[attr-defined]
        ]

    @staticmethod
    def _check_positions_are_unique(rows: list[dict[str, Any]]) -> None:
        titles_by_position: dict[int, list[str]] = defaultdict(list)
        for row in rows:
            titles_by_position[row["position"]].append(row["title"])
        errors = [
            f"Position {position} is given to more than one step "
            f"({', '.join(f'“{title}”' for title in titles)}). Give each step its own position."
            for position, titles in titles_by_position.items()
            if len(titles) > 1
        ]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _check_phases_run_in_order(rows: list[dict[str, Any]]) -> None:
        for earlier, later in pairwise(rows):
            if PHASE_ORDER[later["phase"]] < PHASE_ORDER[earlier["phase"]]:
                order = ", ".join(Phase.labels)
                raise ValidationError(
                    f"Phases must run in order by position ({order}): "
                    f"“{later['title']}” ({Phase(later['phase']).label}, position "
                    f"{later['position']}) comes after “{earlier['title']}” "
                    f"({Phase(earlier['phase']).label}, position {earlier['position']})."
                )

    @staticmethod
    def _check_gating_phases_are_whole(rows: list[dict[str, Any]]) -> None:
        """A phase gates the later ones as a whole (the Time Out before the incision): its
        steps all say so, or none does, so that a step added to it later is not forgotten."""
        marks: dict[str, set[bool]] = defaultdict(set)
        for row in rows:
            marks[row["phase"]].add(bool(row.get("gates_later_phases")))
        split = [phase for phase in Phase.values if len(marks[phase]) > 1]
        if split:
            labels = ", ".join(Phase(phase).label for phase in split)
            raise ValidationError(
                f"“Gates later phases” is ticked on some steps of the {labels} and not on "
                "others: a phase gates the later ones as a whole. Tick it on all of its steps, "
                "or on none."
            )

    @transaction.atomic
    def save(self, commit: bool = True) -> list[Step]:
        if commit:
            self._park_renumbered_steps()
        return super().save(commit=commit)

    def _park_renumbered_steps(self) -> None:
        # _should_delete_form: see _kept_rows.
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if self._should_delete_form(form) or "position" in form.changed_data  # type: ignore[attr-defined]
        ]
        if not moving:
            return
        in_database = Step.objects.filter(procedure=self.instance).aggregate(top=Max("position"))
        submitted = max((row["position"] for row in self._kept_rows()), default=0)
        free = max(in_database["top"] or 0, submitted) + 1
        for offset, pk in enumerate(moving):
            Step.objects.filter(pk=pk).update(position=free + offset)


class StepInline(admin.TabularInline):
    model = Step
    form = StepForm
    formset = StepFormSet
    ordering = ["position"]
    extra = 1
    fields = [
        "position",
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
        "kind_summary",
    ]
    readonly_fields = ["kind_summary"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})},
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 24})},
    }

    @admin.display(description="Kind summary")
    def kind_summary(self, step: Step) -> str:
        return step.kind_summary()


class StepCount(TypedDict):
    """What the procedure list's queryset adds to each procedure."""

    step_count: int


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["title", "approach", "active", "step_count"]
    list_filter = ["approach", "active"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "approach", "active", "description"]
    inlines = [StepInline]

    def get_queryset(
        self, request: HttpRequest
    ) -> "QuerySet[WithAnnotations[Procedure, StepCount]]":
        return super().get_queryset(request).annotate(step_count=Count("steps"))

    @admin.display(description="Steps", ordering="step_count")
    def step_count(self, procedure: "WithAnnotations[Procedure, StepCount]") -> int:
        return procedure.step_count
