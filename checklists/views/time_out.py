"""The read-aloud Time Out: started from the checklist page, one item at a time on its own page,
ended with the team and the attestations. Plain forms, posted and answered with a redirect: the
page works without script, and the wall display follows through its own poll."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.people import holds_role
from accounts.permissions import requires
from checklists import selectors, workflow
from checklists.access import log_view
from checklists.choices import AccessAction, StepStatus
from checklists.errors import WorkflowError
from checklists.forms import TimeOutEndForm, TimeOutItemForm, TimeOutStartForm
from checklists.models import TEAM_ROLES, Case, TimeOut
from checklists.read_aloud import read_aloud
from procedures.choices import StepRole

PAGE = "checklists/time_out.html"
ENDING = 999  # past the last item: the ending's form


@requires("checklists.record_step")
@require_POST
def time_out_start(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(case_id=case_id)
    form = TimeOutStartForm(request.POST)
    side = form.cleaned_data["side"] if form.is_valid() else ""
    try:
        time_out = workflow.start_time_out(
            actor=request.user, case_id=case.pk, side=side, context=request_context(request)
        )
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("case-detail", case_id=case.pk)
    return redirect("time-out", case_id=case.pk, time_out_id=time_out.pk)


@never_cache  # patient identity, for the identity check
@requires("checklists.view_case")
@require_safe
def time_out_page(
    request: AuthenticatedHttpRequest, case_id: int, time_out_id: int
) -> HttpResponse:
    case, time_out = _case_and_time_out(case_id, time_out_id)
    return _page(request, case, time_out, index=_index(request.GET.get("item", "0")))


@requires("checklists.record_step")
@require_POST
def time_out_item(
    request: AuthenticatedHttpRequest, case_id: int, time_out_id: int, step_id: int
) -> HttpResponse:
    case, time_out = _case_and_time_out(case_id, time_out_id)
    form = TimeOutItemForm(request.POST)
    index = _index(request.POST.get("item", "0"))
    if not form.is_valid():
        messages.error(request, "That answer could not be read. Tap the item's answer again.")
        return _back(case, time_out, index)
    try:
        workflow.confirm_time_out_item(
            actor=request.user,
            case_id=case.pk,
            time_out_id=time_out.pk,
            step_id=step_id,
            answer=workflow.Answer(status=StepStatus.DONE, value=form.cleaned_data["value"]),
            revision=form.cleaned_data["revision"],
            context=request_context(request),
        )
    except WorkflowError as error:
        messages.error(request, error.message)
        return _back(case, time_out, index)
    return _back(case, time_out, index + 1)


@never_cache  # a refused ending answers the page again, patient identity and all
@requires("checklists.record_step")
@require_POST
def time_out_end(request: AuthenticatedHttpRequest, case_id: int, time_out_id: int) -> HttpResponse:
    case, time_out = _case_and_time_out(case_id, time_out_id)
    form = _end_form(case, time_out, data=request.POST)
    if not form.is_valid():
        return _page(request, case, time_out, index=ENDING, form=form, status=400)
    data = form.cleaned_data
    try:
        ended = workflow.end_time_out(
            actor=request.user,
            case_id=case.pk,
            time_out_id=time_out.pk,
            team=workflow.TimeOutTeam(
                surgeon=data["surgeon"],
                anaesthetist=data["anaesthetist"],
                circulating_nurse=data["circulating_nurse"],
                scrub=data["scrub"],
            ),
            attestation=workflow.Attestation(
                all_items_spoken=data["all_items_spoken"] == "yes",
                everyone_present=data["everyone_present"] == "yes",
                interruptions=data["interruptions"] or 0,
            ),
            context=request_context(request),
        )
    except WorkflowError as error:
        form.add_error(None, error.message)
        return _page(request, case, time_out, index=ENDING, form=form, status=error.status_code)
    seconds = ended.duration_seconds or 0
    messages.success(
        request,
        f"{ended.label} done in {seconds // 60} min {seconds % 60} s. The team is recorded.",
    )
    return redirect("case-detail", case_id=case.pk)


def _case_and_time_out(case_id: int, time_out_id: int) -> tuple[Case, TimeOut]:
    case = selectors.get_case(case_id=case_id)
    time_outs = TimeOut.objects.select_related(*TEAM_ROLES)
    return case, get_object_or_404(time_outs, pk=time_out_id, case=case)


def _page(
    request: AuthenticatedHttpRequest,
    case: Case,
    time_out: TimeOut,
    *,
    index: int,
    form: TimeOutEndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    screen = read_aloud(case, time_out, index=index)
    can_record = case.is_open and request.user.has_perm("checklists.record_step")
    if form is None and screen.current is None and time_out.in_progress and can_record:
        form = _end_form(case, time_out, initial_nurse=request.user)
    log_view(request, action=AccessAction.CHECKLIST, case_id=case.pk)
    context = {
        "case": case,
        "screen": screen,
        "end_form": form,
        "can_record": can_record,
        # What holds the case is shown here too: the team is looking at this page.
        "side_disagreements": selectors.open_side_disagreements(case) if case.is_open else [],
        "concerns": selectors.open_concerns(case) if case.is_open else [],
    }
    return render(request, PAGE, context, status=status)


def _end_form(case: Case, time_out: TimeOut, *, data=None, initial_nurse=None) -> TimeOutEndForm:
    """The ending's form, the team offered as the record already knows it: the case's surgeon;
    the people of this case's last Time Out (a side Time Out has the same team, mostly); else
    whoever recorded a step of a role they hold (the anaesthetist's Sign In checks); the
    person at the tablet as the circulating nurse when they are one. The attestations are
    never offered: the team gives them each time."""
    action = reverse("time-out-end", args=[case.pk, time_out.pk])
    form = TimeOutEndForm(data, case=case, action=action)
    if data is not None:
        return form
    recorded = case.steps.filter(recorded_for="", recorded_by__isnull=False)
    known = dict(recorded.order_by("position").values_list("role", "recorded_by"))
    initial = {
        "surgeon": case.surgeon_id,
        "anaesthetist": known.get(StepRole.ANAESTHETIST),
        "circulating_nurse": known.get(StepRole.NURSE),
        "scrub": known.get(StepRole.SCRUB),
    }
    if initial_nurse is not None and holds_role(initial_nurse, StepRole.NURSE):
        initial["circulating_nurse"] = initial_nurse.pk
    last = case.time_outs.exclude(ended_at=None).order_by("-ended_at").first()
    if last is not None:
        initial |= {
            "anaesthetist": last.anaesthetist_id,
            "circulating_nurse": last.circulating_nurse_id,
            "scrub": last.scrub_id,
        }
    for name, person in initial.items():
        form.fields[name].initial = person
    return form


def _back(case: Case, time_out: TimeOut, index: int) -> HttpResponse:
    url = reverse("time-out", args=[case.pk, time_out.pk])
    return redirect(f"{url}?item={index}")


def _index(text: str) -> int:
    """The item to show, from the address; anything but a small number is the first."""
    return int(text) if text.isdigit() and len(text) < 4 else 0
