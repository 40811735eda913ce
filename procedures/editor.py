"""The forms of the procedure editor in the admin (``procedures.admin``): a draft's steps in one
sortable table, each row's less used fields folded, the draft's change note, and the choice of
two versions to compare."""

from typing import Any

from adminsortable2.admin import CustomInlineFormSetMixin
from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.forms.models import BaseInlineFormSet

from procedures.choices import PHASE_ORDER, Phase, VersionStatus
from procedures.models import (
    Block,
    BlockStep,
    BlockVersion,
    ProcedureVersion,
    Step,
    check_step_order,
)

PUBLISH = "_publish"
SAME_PHASE = "— as above —"


class OptionsField(forms.CharField):
    """A choice step's answers, typed one per line (no JSON to write); blank lines are dropped.
    The model's ``validate_options`` checks the list."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 18})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(option) for option in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):  # a disabled field's initial value: the stored list
            return value
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
        label="Options, one per line",
        help_text="Choice steps: the answers the team chooses from, one per line.",
    )

    # Folded under the step's title in the editor (StepInline.detail_fields).
    DETAIL_FIELDS = (
        "guidance",
        "unit",
        "min_value",
        "max_value",
        "expected_answer",
        "details_required_for",
        "default_value",
        "gates_later_phases",
        "milestone",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in self.DETAIL_FIELDS:  # in a table row: its column names it
                field.widget.attrs.setdefault("aria-label", str(field.label))
            if self.from_block and name != "position":
                # A shared block's step is edited in the block: the row shows it, and a
                # disabled field keeps the stored value whatever is posted. Its place (the
                # position the editor numbers as rows are dragged) stays the procedure's.
                field.disabled = True
        if "phase" in self.fields:
            # A new step dragged into place may take its phase from the step above it.
            phase = self.fields["phase"]
            phase.required = False
            phase.choices = [("", SAME_PHASE), *Phase.choices]  # type: ignore[attr-defined]
            phase.help_text = (
                f"{phase.help_text} Left at “{SAME_PHASE}”, a step takes the phase of the "
                "step above it."
            )

    @property
    def from_block(self) -> bool:
        return getattr(self.instance, "block_step_id", None) is not None

    @property
    def details_have_errors(self) -> bool:
        return any(name in self.errors for name in self.DETAIL_FIELDS)


class StepFormSet(CustomInlineFormSetMixin, BaseInlineFormSet):
    """A version's steps, checked and saved as one ordered list.

    The rows come in the order the lead dragged them to (the editor numbers the rows' hidden
    positions 1..N as they are dropped). A new row not dragged goes to the end of its phase.
    Every row is then numbered 1..N again, so positions are never the lead's concern; saving
    first moves the stored rows out of the way, as positions are unique within a version.
    """

    instance: ProcedureVersion | BlockVersion

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this step"

    def clean(self) -> None:
        # Not BaseModelFormSet.clean: its check that no two rows share a position does not
        # apply, as the rows are numbered again here.
        if any(self.errors):
            return  # each row shows its own errors first
        for form in self.forms:
            if getattr(form, "from_block", False) and self._should_delete_form(form):
                step = form.instance
                raise ValidationError(
                    f"“{step.title}” comes from {step.block_step.version.block}: a procedure "
                    "includes a block's steps all together. Change the block to remove it."
                )
        forms_in_order = self._in_order()
        self._fill_in_phases(forms_in_order)
        if any(self.errors):
            return
        for position, form in enumerate(forms_in_order, start=1):
            form.instance.position = position
        check_step_order([form.instance for form in forms_in_order])

    def _kept_forms(self) -> list[forms.ModelForm]:
        # An untouched blank row has no cleaned data; a row ticked for deletion is gone.
        return [
            form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]

    def _in_order(self) -> list[forms.ModelForm]:
        placed: list[forms.ModelForm] = []
        unplaced: list[forms.ModelForm] = []
        for form in self._kept_forms():
            (placed if form.cleaned_data.get("position") else unplaced).append(form)
        placed.sort(key=lambda form: form.cleaned_data["position"])  # stable: ties keep rows
        for form in unplaced:
            phase = form.cleaned_data.get("phase")
            if not phase:
                placed.append(form)
                continue
            # After the last step of its phase or of an earlier one.
            at = 0
            for index, other in enumerate(placed):
                other_phase = other.cleaned_data.get("phase")
                if other_phase and PHASE_ORDER[other_phase] <= PHASE_ORDER[phase]:
                    at = index + 1
            placed.insert(at, form)
        return placed

    def _fill_in_phases(self, forms_in_order: list[forms.ModelForm]) -> None:
        phases = [form.cleaned_data.get("phase") or "" for form in forms_in_order]
        for index, form in enumerate(forms_in_order):
            if phases[index]:
                continue
            above = next((phase for phase in reversed(phases[:index]) if phase), "")
            below = next((phase for phase in phases[index + 1 :] if phase), "")
            if not (above or below):
                form.add_error("phase", "Choose the phase of this step.")
                continue
            phases[index] = above or below
            form.instance.phase = phases[index]
            try:
                form.instance.clean()  # its rules that depend on the phase
            except ValidationError as refused:
                form.add_error(None, refused)

    @transaction.atomic
    def save(self, commit: bool = True) -> list[Step | BlockStep]:
        if not commit:
            return super().save(commit=False)
        kept = self._kept_forms()
        stored = self.model.objects.filter(version=self.instance)
        top = stored.aggregate(top=Max("position"))["top"] or 0
        stored.update(position=models.F("position") + top + len(self.forms) + 1)
        saved = super().save(commit=True)
        unchanged = [form.instance for form in kept if form.instance.pk and not form.has_changed()]
        self.model.objects.bulk_update(unchanged, ["position"])
        return saved


class BlockStepFormSet(StepFormSet):
    """A block's steps: every one in the block's phase, so the phase is not asked."""

    instance: BlockVersion

    def _fill_in_phases(self, forms_in_order: list[forms.ModelForm]) -> None:
        for form in forms_in_order:
            form.instance.phase = self.instance.block.phase
            try:
                form.instance.clean()  # its rules that depend on the phase
            except ValidationError as refused:
                form.add_error(None, refused)


class VersionForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = ["change_note"]
        widgets = {"change_note": forms.Textarea(attrs={"rows": 2, "cols": 80})}

    def clean_change_note(self) -> str:
        note = self.cleaned_data["change_note"].strip()
        if PUBLISH in self.data and not note:
            raise ValidationError("Write a change note to publish: what changed and why.")
        return note


class BlockVersionForm(VersionForm):
    class Meta(VersionForm.Meta):
        model = BlockVersion  # type: ignore[assignment]


class CompareForm(forms.Form):
    """Which two versions to compare; by default the published one and the draft (or the
    version before the published one)."""

    old = forms.TypedChoiceField(label="From version", coerce=int)
    new = forms.TypedChoiceField(label="To version", coerce=int)

    def __init__(self, *args: Any, versions: list[ProcedureVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.versions = {version.number: version for version in versions}
        choices = [(version.number, str(version)) for version in versions]
        self.fields["old"].choices = choices  # type: ignore[attr-defined]
        self.fields["new"].choices = choices  # type: ignore[attr-defined]

    def chosen(self) -> tuple[ProcedureVersion | None, ProcedureVersion | None]:
        if self.is_bound and self.is_valid():
            return self.versions[self.cleaned_data["old"]], self.versions[self.cleaned_data["new"]]
        by_status = {version.status: version for version in self.versions.values()}
        new = by_status.get(VersionStatus.DRAFT) or by_status.get(VersionStatus.PUBLISHED)
        if new is None:
            return None, None
        older = [number for number in self.versions if number < new.number]
        old = self.versions[max(older)] if older else None
        if not self.is_bound:
            self.initial = {"old": old.number if old else None, "new": new.number}
        return old, new


class IncludeBlockForm(forms.Form):
    """A shared block to add to a procedure's draft: one published, not included yet."""

    block = forms.ModelChoiceField(
        queryset=Block.objects.none(),
        label="Include a shared block",
        empty_label="Choose a block",
        error_messages={
            "required": "Choose the block to include.",
            "invalid_choice": "Choose one of the blocks offered: published, not included yet.",
        },
    )

    def __init__(self, *args: Any, draft: ProcedureVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = (
            Block.objects.filter(versions__status=VersionStatus.PUBLISHED)
            .exclude(versions__steps__copies__version=draft)
            .distinct()
        )
        self.fields["block"].queryset = offered  # type: ignore[attr-defined]
        # The select sits in the draft's own form on the page and posts this one (by id).
        self.fields["block"].widget.attrs["form"] = "include-block-form"
