"""The checklist page: its rows, the changes made on them, the implants, the live version."""

import enum
from collections.abc import Callable, Mapping
from typing import TypeVar, cast

from django.contrib import messages
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    condition,
    require_POST,
    require_safe,
)

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.middleware import passive
from accounts.permissions import requires
from checklists import live_sync, selectors, workflow
from checklists.access import log_view
from checklists.checklist_context import add_implant_panels, checklist_context, etag
from checklists.choices import AccessAction, StepStatus
from checklists.errors import WorkflowError
from checklists.forms import (
    ImplantForm,
    ImplantRemovalForm,
    ImplantWasteForm,
    LiveSyncForm,
    StepUpdateForm,
    StopOverrideForm,
)
from checklists.models import Case, CaseStep, Implant
from procedures.choices import StepKind

StepForm = TypeVar("StepForm", StepUpdateForm, StopOverrideForm)


CHECKLIST = "checklists/case_detail.html"


@never_cache  # patient identity: a shared tablet's back button must not show it after logoff
@requires("checklists.view_case")
@require_safe
def case_detail(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(case_id=case_id)
    return _checklist_page(request, checklist_context(request, case))


def _checklist_page(
    request: AuthenticatedHttpRequest, context: dict[str, object], *, status: int = 200
) -> HttpResponse:
    """The whole checklist page, whose header names the patient: each one drawn is logged.
    Its htmx answers (rows, the poll, the implants) show no identity and log nothing."""
    case = cast(Case, context["case"])
    log_view(request, action=AccessAction.CHECKLIST, case_id=case.pk)
    return render(request, CHECKLIST, context, status=status)


@never_cache  # a refused change without htmx answers the whole page, patient identity and all
@requires("checklists.record_step")
@require_POST
def step_update(request: AuthenticatedHttpRequest, case_id: int, step_id: int) -> HttpResponse:
    return _change_step(
        request,
        case_id,
        step_id,
        StepUpdateForm(request.POST),
        change=lambda form: record_step_from(request, case_id, step_id, form),
        done=_recorded_message,
    )


@never_cache  # a refused change without htmx answers the whole page, patient identity and all
@requires("checklists.sign_case")
@require_POST
def stop_override(request: AuthenticatedHttpRequest, case_id: int, step_id: int) -> HttpResponse:
    def override(form: StopOverrideForm) -> CaseStep:
        return workflow.override_stop(
            actor=request.user,
            case_id=case_id,
            step_id=step_id,
            revision=form.cleaned_data["revision"],
            reason=form.cleaned_data["reason"],
            context=request_context(request),
        )

    return _change_step(
        request,
        case_id,
        step_id,
        StopOverrideForm(request.POST),
        change=override,
        done=lambda step: f"The Stop on “{step.label}” was overridden.",
    )


def _change_step(
    request: AuthenticatedHttpRequest,
    case_id: int,
    step_id: int,
    form: StepForm,
    *,
    change: Callable[[StepForm], CaseStep],
    done: Callable[[CaseStep], str],
) -> HttpResponse:
    """One step changed from its form, or refused with why (the row as it is now, what was sent
    kept). Without htmx, a change goes back to the page with ``done``'s message."""
    if not form.is_valid():
        return _step_answer(request, case_id, step_id, error=form.problem(), status=400)
    try:
        step = change(form)
    except WorkflowError as refused:
        return _step_answer(
            request,
            case_id,
            step_id,
            error=refused.message,
            status=refused.status_code,
            submitted=form.cleaned_data,
        )
    if not request.htmx:
        messages.success(request, done(step))
        return redirect(f"{reverse('case-detail', args=[case_id])}#step-{step_id}")
    return _step_answer(request, case_id, step_id, case=step.case)


def record_step_from(
    request: AuthenticatedHttpRequest, case_id: int, step_id: int, form: StepUpdateForm
) -> CaseStep:
    """The workflow's ``record_step`` for a valid step form, by the signed-in person (the bench's
    "step write only" row calls it too, so it measures exactly what a step POST writes)."""
    return workflow.record_step(
        actor=request.user,
        case_id=case_id,
        step_id=step_id,
        answer=form.answer(),
        revision=form.cleaned_data["revision"],
        reason=form.cleaned_data["reason"],
        context=request_context(request),
    )


@passive  # a timer asking, not a person: it must not keep an idle session alive
@never_cache
@requires("checklists.view_case")
@require_safe
@condition(etag_func=lambda request, case_id: _case_etag(case_id))
def case_version(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """The live-sync poll: 304 while the page's ETag is current, else what changed since."""
    case = selectors.get_case(case_id=case_id)
    if not request.htmx:
        return JsonResponse({"case": case.pk, "version": case.version})
    # A page that does not say what it last saw (or says nonsense) is sent everything.
    changes = live_sync.changes_since(case, seq=_since(request.GET))
    return _answer(request, case, Redraw.SYNC, changes=changes)


@never_cache  # a refused change without htmx answers the whole page, patient identity and all
@requires("checklists.record_step")
@require_POST
def implant_add(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(case_id=case_id)
    side = _panel_side(case, request.POST.get("side", ""))
    form = ImplantForm(request.POST, sides=case.sides(), panel_side=side)
    error, status = "The implant was not logged: check the fields marked below.", 422
    if form.is_valid():
        try:
            implant = workflow.add_implant(
                actor=request.user,
                case_id=case_id,
                entry=form.entry(),
                context=request_context(request),
            )
        except WorkflowError as refused:
            error, status = refused.message, refused.status_code
            form.refused(refused)
        else:
            return _implant_added(request, case, side=implant.side)
    elif "side" in form.errors:  # a hidden field: its message goes at the top of the form
        error = f"The implant was not logged: {form.errors['side'][0]}"
    extra = {"implant_form": form, "implant_error": error}
    return _implants_answer(request, case_id, Redraw.IMPLANT_FORM, status=status, extra=extra)


def _panel_side(case: Case, side: str) -> str:
    """The side whose implant form sent a request (its hidden field), else the case's first."""
    sides = case.sides()
    return side if side in sides else sides[0]


def _implant_added(request: AuthenticatedHttpRequest, case: Case, *, side: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, "Implant logged.")
        return redirect(f"{reverse('case-detail', args=[case.pk])}#implants-{side}")
    # Ready for the next scan, on the same side.
    fresh = ImplantForm(sides=case.sides(), panel_side=side, focus_barcode=True)
    return _implants_answer(request, case.pk, Redraw.IMPLANT_FORM, extra={"implant_form": fresh})


@never_cache  # a refused change without htmx answers the whole page, patient identity and all
@requires("checklists.record_step")
@require_POST
def implant_remove(
    request: AuthenticatedHttpRequest, case_id: int, implant_id: int
) -> HttpResponse:
    return _change_implant(
        request,
        case_id,
        implant_id,
        ImplantRemovalForm(request.POST),
        change=lambda reason: workflow.remove_implant(
            actor=request.user,
            case_id=case_id,
            implant_id=implant_id,
            reason=reason,
            context=request_context(request),
        ),
        done="Implant removed from the log; the audit trail keeps it.",
    )


@never_cache  # a refused change without htmx answers the whole page, patient identity and all
@requires("checklists.record_step")
@require_POST
def implant_waste(request: AuthenticatedHttpRequest, case_id: int, implant_id: int) -> HttpResponse:
    """Opened, not implanted: the implant stays on the log, marked, with the reason given."""
    return _change_implant(
        request,
        case_id,
        implant_id,
        ImplantWasteForm(request.POST),
        change=lambda reason: workflow.waste_implant(
            actor=request.user,
            case_id=case_id,
            implant_id=implant_id,
            reason=reason,
            context=request_context(request),
        ),
        done="Implant recorded as opened, not implanted.",
    )


@never_cache  # a refused change without htmx answers the whole page, patient identity and all
@requires("checklists.record_step")
@require_POST
def implant_read_back(
    request: AuthenticatedHttpRequest, case_id: int, implant_id: int
) -> HttpResponse:
    """The team read the implant's card aloud before opening it: one tap records that."""
    return _implant_changed(
        request,
        case_id,
        implant_id,
        change=lambda: workflow.confirm_read_back(
            actor=request.user,
            case_id=case_id,
            implant_id=implant_id,
            context=request_context(request),
        ),
        done="Implant read back: it can be opened.",
    )


def _change_implant(
    request: AuthenticatedHttpRequest,
    case_id: int,
    implant_id: int,
    form: ImplantRemovalForm | ImplantWasteForm,
    *,
    change: Callable[[str], Implant],
    done: str,
) -> HttpResponse:
    """A change to one logged implant, with its reason, from its side's list: refused with why
    in that list, or made. Without htmx, a change goes back to the page with ``done``."""
    if not form.is_valid():
        extra = _list_error(implant_id, " ".join(map(str, form.errors["reason"])))
        return _implants_answer(request, case_id, Redraw.IMPLANT_LIST, status=422, extra=extra)
    reason = form.cleaned_data["reason"]
    return _implant_changed(request, case_id, implant_id, change=lambda: change(reason), done=done)


def _implant_changed(
    request: AuthenticatedHttpRequest,
    case_id: int,
    implant_id: int,
    *,
    change: Callable[[], Implant],
    done: str,
) -> HttpResponse:
    try:
        changed = change()
    except WorkflowError as refused:
        extra = _list_error(implant_id, refused.message)
        return _implants_answer(
            request, case_id, Redraw.IMPLANT_LIST, status=refused.status_code, extra=extra
        )
    if not request.htmx:
        messages.success(request, done)
        return redirect(f"{reverse('case-detail', args=[case_id])}#implants-{changed.side}")
    return _implants_answer(request, case_id, Redraw.IMPLANT_LIST)


def _list_error(implant_id: int, error: str) -> dict[str, object]:
    """Why a removal was refused, for the implant list that shows the implant (every side's
    list when it is on none: an implant of another case, or one removed meanwhile)."""
    return {"list_error": error, "list_error_implant": implant_id}


class Redraw(enum.Enum):
    """What an htmx answer is about: its value names the partial of the checklist page that
    answers. Whatever else moved since the page last looked (other rows, progress, the case's
    notice, the implant lists) comes out of band in every answer."""

    STEP = "step_answer"  # one row, after a change or with why it was refused
    SYNC = "sync_answer"  # the poll: only what moved
    IMPLANT_FORM = "implants_answer"  # a side's implant form, with the lists beside it
    IMPLANT_LIST = "sync_answer"  # the implant lists (after a removal): out of band only

    def implant_lists(self, changes: live_sync.CaseChanges | None) -> bool:
        """Whether every side's implant list goes out of band. Not when everything changed:
        every row comes then, the implant steps' rows with their panels."""
        if self in (Redraw.IMPLANT_FORM, Redraw.IMPLANT_LIST):
            return True
        return bool(changes and changes.implants and not changes.everything)


def _step_answer(
    request: AuthenticatedHttpRequest,
    case_id: int,
    step_id: int,
    *,
    case: Case | None = None,
    error: str = "",
    status: int = 200,
    submitted: dict[str, object] | None = None,
) -> HttpResponse:
    """The row as it is now, after a change or with why it was refused.

    ``case`` is the case as the change left it (the workflow's locked copy); without it, the
    case is read afresh: a refusal may come from a change by someone else.
    """
    fresh = case is None
    if case is None:
        case = selectors.get_case(case_id=case_id)
    changes = _changes_since_page(request, case)
    if not fresh and changes is not None and changes.everything:
        # Signed out or cancelled by someone else since this change: draw the case as it is.
        case = selectors.get_case(case_id=case_id)
    extra = {
        "error": error,
        "error_step_id": step_id if error else None,
        "error_is_conflict": status == 409,  # the row shows someone else's answer: see step_change
        "submitted": submitted,
    }
    return _answer(
        request, case, Redraw.STEP, changes=changes, step_id=step_id, status=status, extra=extra
    )


def _implants_answer(
    request: AuthenticatedHttpRequest,
    case_id: int,
    redraw: Redraw,
    *,
    status: int = 200,
    extra: Mapping[str, object] | None = None,
) -> HttpResponse:
    """A side's implant panel after a change or a refusal: its form and the lists, or the
    lists alone (``redraw``)."""
    case = selectors.get_case(case_id=case_id)  # afresh: the first implant starts the case
    changes = _changes_since_page(request, case)
    return _answer(request, case, redraw, changes=changes, status=status, extra=extra)


def _answer(
    request: AuthenticatedHttpRequest,
    case: Case,
    redraw: Redraw,
    *,
    changes: live_sync.CaseChanges | None,
    step_id: int | None = None,
    status: int = 200,
    extra: Mapping[str, object] | None = None,
) -> HttpResponse:
    """The whole page without htmx; with it, the partial ``redraw`` names and, out of band,
    what else moved: the rows ``changes`` names (and the rows whose lock they may have moved),
    the progress, the phase stepper, the footer, the implant lists, and the poll's new
    starting point. ``changes`` is None when the page did not say what it last saw: then only
    the rows the request itself may have moved are sent. ``extra`` is added to the template's
    context (errors, submitted values, forms)."""
    everything = bool(changes and changes.everything)
    implant_lists = redraw.implant_lists(changes)
    implants = not request.htmx or implant_lists
    forms = not request.htmx or everything  # the case notice
    context = checklist_context(request, case, implants=implants, forms=forms, **(extra or {}))
    checklist = cast(selectors.Checklist, context["checklist"])
    row = checklist.row(step_id) if step_id is not None else None
    part = redraw.value
    if step_id is not None and row is None:
        context["page_error"] = "That step is not part of this case. Reload the page."
        status, part = 404, "page_error"
    if not request.htmx:
        return _checklist_page(request, context, status=status)
    wanted = {*(changes.step_ids if changes else ()), *([step_id] if row else ())}
    rows = checklist.rows if everything else checklist.rows_to_refresh(wanted)
    if any(shown.step.kind == StepKind.IMPLANTS for shown in rows):
        add_implant_panels(context, case, checklist)  # an implant step's row holds its panel
    context.update(
        row=row,
        updated_rows=[other for other in rows if other is not row],
        changes=changes,
        sync=changes is not None,
        implant_lists=implant_lists,
    )
    return render(request, f"{CHECKLIST}#{part}", context, status=status)


def _since(data: QueryDict) -> int | None:
    """The audit event number the page was last brought up to, if it said."""
    form = LiveSyncForm(data)
    return form.cleaned_data["since"] if form.is_valid() else None


def _changes_since_page(
    request: AuthenticatedHttpRequest, case: Case
) -> live_sync.CaseChanges | None:
    since = _since(request.POST) if request.htmx else None
    return None if since is None else live_sync.changes_since(case, seq=since)


def _case_etag(case_id: int) -> str | None:
    version = live_sync.case_version(case_id=case_id)
    return None if version is None else etag(case_id, version)


def _recorded_message(step: CaseStep) -> str:
    if step.status == StepStatus.PENDING:
        return f"“{step.label}” is back to pending."
    if step.status == StepStatus.NOT_APPLICABLE:
        return f"“{step.label}” marked not applicable."
    return f"“{step.label}” recorded."
