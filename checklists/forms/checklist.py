"""The checklist page's forms: a row's change, a Stop's override, the implants, the poll."""

import functools
from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from crispy_forms.utils import render_crispy_form
from django import forms
from django.http import QueryDict
from django.utils.safestring import SafeString

from checklists import workflow
from checklists.choices import Side, StepStatus
from checklists.errors import DeviceConflict, ImplantRefused, WorkflowError
from checklists.models import (
    CaseStep,
    Implant,
    max_length,
)
from checklists.udi import MAX_LENGTH as MAX_UDI_LENGTH

# Scanner-typed and hand-typed identifiers: no autocorrect, no remembered values.
CODE_FIELD = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
MAX_REVISION = 2**31 - 1


class StepUpdateForm(forms.Form):
    """A row's form as posted: its target state, the revision it was drawn at and, to put a
    recorded answer back to pending, a reason.

    Only types and lengths are checked here; ``workflow.record_step`` checks the answer against
    the step. The page never sends anything else, so a failure here means a forged request.
    """

    status = forms.ChoiceField(
        choices=StepStatus.choices,
        error_messages={
            "required": "The change did not say what state the step should be in.",
            "invalid_choice": "Unknown step state: choose done, pending or not applicable.",
        },
    )
    revision = forms.IntegerField(
        min_value=0,
        max_value=MAX_REVISION,
        error_messages={
            "required": "The change did not say which version of the step it was based on.",
            "invalid": "The step's version could not be read. Reload the page and try again.",
            "min_value": "The step's version could not be read. Reload the page and try again.",
            "max_value": "The step's version could not be read. Reload the page and try again.",
        },
    )
    value = forms.CharField(required=False, max_length=max_length(CaseStep, "value"))
    note = forms.CharField(required=False, max_length=max_length(CaseStep, "note"))
    na_reason = forms.CharField(required=False, max_length=max_length(CaseStep, "na_reason"))
    # Why a recorded answer goes back to pending; the workflow says when it is needed.
    reason = forms.CharField(required=False, max_length=workflow.REVERT_REASON_LENGTH)

    def answer(self) -> workflow.Answer:
        fields = ("status", "value", "note", "na_reason")
        return workflow.Answer(**{name: self.cleaned_data[name] for name in fields})

    def problem(self) -> str:
        """The errors in one sentence or two, for the row's message."""
        return " ".join(str(errors[0]) for errors in self.errors.values())


class StopOverrideForm(forms.Form):
    """A surgeon's override of a row's Stop, as posted: the reason, and the revision the row
    was drawn at. The reason is not required here: the workflow's own message asks for it."""

    # The same field as a step change's (a Form copies its fields for each form made).
    revision = StepUpdateForm.declared_fields["revision"]
    reason = forms.CharField(
        required=False, max_length=max_length(CaseStep, "stop_override_reason")
    )

    def problem(self) -> str:
        """The errors in one sentence or two, for the row's message."""
        return " ".join(str(errors[0]) for errors in self.errors.values())


class ImplantForm(forms.Form):
    """An implant as scanned or typed; the workflow parses the barcode and applies the rules."""

    # The fields typed by hand, behind a disclosure.
    TYPED = (
        "manufacturer",
        "product",
        "size",
        "lot",
        "expiry",
        "serial",
        "expiry_override_reason",
        "duplicate_override_reason",
    )

    udi = forms.CharField(
        label="Scan the barcode",
        required=False,
        max_length=MAX_UDI_LENGTH,
        help_text=(
            "The scanner types the code and presses Enter. Or type the text printed under the "
            "barcode, e.g. (01)00812345678901(17)281231(10)LOT123(21)SN456."
        ),
        widget=forms.TextInput(attrs={**CODE_FIELD, "enterkeyhint": "send"}),
    )
    side = forms.ChoiceField(
        choices=Side.choices,
        required=False,  # none sent: the case's side, or the side whose implant step is next
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of this case's sides."},
    )
    manufacturer = forms.CharField(required=False, max_length=max_length(Implant, "manufacturer"))
    product = forms.CharField(
        label="Product name", required=False, max_length=max_length(Implant, "product")
    )
    size = forms.CharField(
        required=False, max_length=max_length(Implant, "size"), help_text="Diameter x length, mm."
    )
    lot = forms.CharField(
        label="Lot",
        required=False,
        max_length=max_length(Implant, "lot"),
        widget=forms.TextInput(attrs=CODE_FIELD),
    )
    expiry = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the expiry as a date, e.g. 2028-12-31."},
    )
    serial = forms.CharField(
        label="Serial number",
        required=False,
        max_length=max_length(Implant, "serial"),
        widget=forms.TextInput(attrs=CODE_FIELD),
    )
    expiry_override_reason = forms.CharField(
        label="Reason to use an expired implant",
        required=False,
        max_length=max_length(Implant, "expiry_override_reason"),
        help_text="Surgeons only, and only when the expiry date has passed.",
    )
    duplicate_override_reason = forms.CharField(
        label="Reason to log a device recorded in another case",
        required=False,
        max_length=max_length(Implant, "duplicate_override_reason"),
        help_text="Surgeons only, and only when this serial is already recorded as implanted.",
    )

    def __init__(
        self, *args, sides: list[str], panel_side: str, focus_barcode: bool = False, **kwargs
    ) -> None:
        """``sides``: the case's sides, the ones accepted. ``panel_side``: the side whose
        implant step shows this form, the side it logs (a hidden field: each side's implant step
        has its own form, so the side is never chosen again)."""
        # Ids unique beside the page's other forms, the other side's among them.
        kwargs.setdefault("auto_id", f"implant-{panel_side}-%s")
        super().__init__(*args, **kwargs)
        self.panel_side = panel_side
        self.drawn_with = (tuple(sides), panel_side, focus_barcode)
        side = cast(forms.ChoiceField, self.fields["side"])
        side.choices = [(value, Side(value).label) for value in sides]
        side.initial, side.widget = panel_side, forms.HiddenInput()
        if focus_barcode:
            # After a scan the next one follows at once; htmx focuses [autofocus] after a swap.
            self.fields["udi"].widget.attrs["autofocus"] = True

    @property
    def open_details(self) -> bool:
        """The typed fields are folded away unless needed: when one of them is in error (a
        device the catalogue does not know wants its name; an expired one a surgeon's
        reason)."""
        return self.is_bound and any(name in self.errors for name in self.TYPED)

    @property
    def fields_html(self) -> SafeString:
        """The fields as crispy draws them (``helper``). An empty form's are the same for every
        case with the same sides: they are drawn once per process (``_empty_fields``), not on
        every checklist page, where drawing them took about a fifth of the page's CPU
        (bench/request_costs.py)."""
        if self.is_bound:
            return render_crispy_form(self)
        return _empty_fields(*self.drawn_with)

    @property
    def helper(self) -> FormHelper:
        """Made when drawn, after any error was added (``open_details``)."""
        helper = FormHelper()
        helper.form_tag = False  # the page's <form> carries the htmx attributes
        helper.disable_csrf = True  # ...and the CSRF token
        # The scanner is the usual way in; typing the parts is behind a disclosure.
        typed = " open" if self.open_details else ""
        helper.layout = Layout(
            Field("udi", css_class="form-control-lg"),
            "side",
            HTML(
                f'<details class="implant-typed"{typed}><summary class="btn btn-outline-dark">'
                "No barcode? Type the details…</summary>"
            ),
            Div(
                Div("manufacturer", css_class="col-md-6"),
                Div("product", css_class="col-md-6"),
                css_class="row",
            ),
            Div(
                Div("size", css_class="col-md-4"),
                Div("lot", css_class="col-md-4"),
                Div("serial", css_class="col-md-4"),
                css_class="row",
            ),
            Div(
                Div("expiry", css_class="col-md-4"),
                Div("expiry_override_reason", css_class="col-md-8"),
                css_class="row",
            ),
            "duplicate_override_reason",
            HTML("</details>"),
        )
        return helper

    def refused(self, error: WorkflowError) -> None:
        """The workflow's refusal, marked on the field that would let the implant through
        (``ImplantRefused.field``), which takes the focus. A device refused whatever is typed
        (scanned twice, recalled) leaves the barcode field empty and focused: the scanner types
        into whatever has the focus, and the next scan must not add to the last."""
        if not isinstance(error, ImplantRefused):
            return
        if error.field in self.fields:
            self.add_error(error.field, error.message)
            self.fields[error.field].widget.attrs["autofocus"] = True
        elif isinstance(error, DeviceConflict):
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data["udi"] = ""
            self.data = data
            self.fields["udi"].widget.attrs["autofocus"] = True

    def entry(self) -> workflow.ImplantEntry:
        return workflow.ImplantEntry(**self.cleaned_data)


@functools.cache  # a few entries: the sides of a case, each side, with or without the focus
def _empty_fields(sides: tuple[str, ...], panel_side: str, focus_barcode: bool) -> SafeString:
    form = ImplantForm(sides=list(sides), panel_side=panel_side, focus_barcode=focus_barcode)
    return render_crispy_form(form)


class ImplantRemovalForm(forms.Form):
    # Not required here: the workflow's own message asks for the reason.
    reason = forms.CharField(required=False, max_length=workflow.REMOVAL_REASON_LENGTH)


class ImplantWasteForm(forms.Form):
    # Not required here: the workflow's own message asks for the reason.
    reason = forms.CharField(required=False, max_length=workflow.WASTED_REASON_LENGTH)


class LiveSyncForm(forms.Form):
    """The poll's ``?since=``: the audit event number the page was last drawn at."""

    since = forms.IntegerField(min_value=0)
