"""What the checklist page (``views.case_detail`` and its htmx answers) draws from: the case, its
checklist, who may do what, and each side's implant panel with its form."""

from dataclasses import dataclass
from typing import cast

from accounts.http import AuthenticatedHttpRequest
from checklists import selectors, workflow
from checklists.choices import SIGNED_STATUSES
from checklists.debrief import debrief_for
from checklists.forms import CancelCaseForm, DebriefActionForm, ImplantForm
from checklists.models import Case, Implant
from checklists.read_aloud import time_out_panel


def etag(case_id: int, version: int) -> str:
    """The page's ETag for the live-sync poll: the case's version."""
    return f"case-{case_id}-v{version}"


def checklist_context(
    request: AuthenticatedHttpRequest,
    case: Case,
    checklist: selectors.Checklist | None = None,
    /,
    *,
    implants: bool = True,
    forms: bool = True,
    **extra: object,
) -> dict[str, object]:
    """What the checklist page and its partials draw from; the same whatever the number of
    steps: one query for the steps (none when the ``checklist`` is given: the procedure
    preview's), one for the Time Outs (an open case's, read with the steps: the rows they hold
    back are locked, and every answer redraws their panel), one
    for the implants (when asked for, or later by ``add_implant_panels``), one for the Stops
    called, one for the debrief's actions and briefing (``checklists.debrief``)
    and one for the people an action may be given to, when its form is drawn. The cancel form,
    the signatures, the Stops and the debrief (``forms``) are left out of the answers that do
    not show them: a ticked row's. ``extra`` goes in last, so it may also say who may do what
    (the preview shows the controls of those who record)."""
    checklist = checklist or selectors.checklist_for(case)
    context: dict[str, object] = {
        "case": case,
        "checklist": checklist,
        "can_record": case.is_open and request.user.has_perm("checklists.record_step"),
        "can_override": case.is_open and request.user.has_perm("checklists.sign_case"),
        "can_sign": request.user.has_perm("checklists.sign_case"),
        "etag": etag(case.pk, case.version),
        "implant_panels": None,
        # Redrawn with every answer: a step recorded may call for a Time Out.
        "time_out_panel": time_out_panel(case, checklist) if case.is_open and case.pk else None,
        **extra,
    }
    if implants:
        add_implant_panels(context, case, checklist)
    if forms:
        context.update(
            cancel_form=CancelCaseForm(case=case),
            signatures=selectors.signatures_for(case),  # lazy: read only for a signed case
            concerns=selectors.open_concerns(case) if case.is_open else [],
            side_disagreements=selectors.open_side_disagreements(case) if case.is_open else [],
            debrief=debrief_for(case, briefing=case.is_open),
            debrief_form=DebriefActionForm(case=case)
            if workflow.debrief_is_open(case) and request.user.has_perm("checklists.record_step")
            else None,
        )
    return context


@dataclass(frozen=True)
class ImplantPanel:
    """One side's implant log and form, drawn inside the row of that side's implant step."""

    side: selectors.ImplantSide
    step_id: int
    form: ImplantForm
    list_error: str = ""  # why a removal from this side's list was refused


def add_implant_panels(
    context: dict[str, object],
    case: Case,
    checklist: selectors.Checklist,
    *,
    implants: list[Implant] | None = None,
) -> None:
    """Each side's implant panel (one query), with its form: the one ``context`` already holds
    for its side (``implant_form``: refused, or fresh after a scan), else an empty one; and a
    refused removal's message (``list_error``) in the list of the implant it was about (in
    every list if none has it: an implant of another case, or one removed meanwhile). The
    ``implants`` given are used without a query (the preview's: none)."""
    if context["implant_panels"] is not None or not checklist.has_implant_steps:
        return
    holders = checklist.implant_step_ids()
    sides = [
        side
        for side in selectors.implant_sides_for(case, implants=implants)
        if side.side in holders
    ]
    chosen = cast(ImplantForm | None, context.get("implant_form"))
    error, about = str(context.get("list_error", "")), context.get("list_error_implant")
    erring = [side for side in sides if any(i.pk == about for i in side.implants)] or sides
    context["implant_panels"] = [
        ImplantPanel(
            side=side,
            step_id=holders[side.side],
            form=chosen
            if chosen and chosen.panel_side == side.side
            else ImplantForm(sides=case.sides(), panel_side=side.side),
            list_error=error if side in erring else "",
        )
        for side in sides
    ]
    # A signed case with an implant placed has the patient's implant card to print.
    context["implant_card"] = case.status in SIGNED_STATUSES and any(s.count for s in sides)
