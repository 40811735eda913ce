"""The board, scheduling a case (by hand, or the day's theatre list), changing its surgeon,
signing it, cancelling it."""

import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts import devices, handover
from accounts.choices import DeviceKind
from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.people import display_name
from accounts.permissions import requires
from checklists import selectors, workflow
from checklists.access import log_view
from checklists.choices import AccessAction, CaseStatus, SignatureMeaning
from checklists.errors import WorkflowError
from checklists.forms import (
    BoardDayForm,
    CancelCaseForm,
    NewCaseForm,
    ScheduleUploadForm,
    SignOutForm,
    SurgeonChangeForm,
)
from checklists.models import Case
from checklists.schedule_fhir import import_schedule_bundle
from checklists.schedule_import import UnreadableFile, import_schedule_csv, report_lines
from checklists.views.common import change_and_go_back


@requires("checklists.view_case")
@require_safe
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    day_form = BoardDayForm(request.GET if "day" in request.GET else None)
    day = day_form.cleaned_data["day"] if day_form.is_valid() else today
    if day_form.is_bound and day_form.errors:
        messages.warning(request, "That day could not be read (use YYYY-MM-DD). Showing today.")
        day_form = BoardDayForm()
    day_form.initial["day"] = day
    context = {
        "day": day,
        "today": today,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "rooms": selectors.board_for_day(day=day),
        "day_form": day_form,
    }
    return render(request, "checklists/board.html", context)


@never_cache  # the form may come back holding a patient's identity
@requires("checklists.add_case")
@require_http_methods(["GET", "HEAD", "POST"])
def new_case(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A tablet enrolled for a room schedules in that room unless told otherwise.
    tablet = devices.enrolled_device(request, kind=DeviceKind.SWITCH_TABLET)
    room = tablet.room if tablet and tablet.room and tablet.room.active else None
    initial = {"room": room.name} if room else None
    form = NewCaseForm(request.POST if request.method == "POST" else None, initial=initial)
    if not form.is_bound:
        # The day's list, when imported, names the patients: picking one retypes nothing.
        listed = selectors.theatre_list(day=timezone.localdate(), room=room.name if room else None)
        context = {"form": form, "listed": listed, "room": room}
        return render(request, "checklists/new_case.html", context)
    if form.is_valid():
        try:
            case = workflow.create_case(
                actor=request.user, context=request_context(request), **form.cleaned_data
            )
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            start = timezone.localtime(case.scheduled_start)
            messages.success(
                request,
                f"Case scheduled: {case.procedure}, {case.get_laterality_display().lower()}, "
                f"{case.room} at {start:%H:%M} on {start:%d %b %Y}.",
            )
            return redirect("case-detail", case_id=case.pk)
    return render(request, "checklists/new_case.html", {"form": form}, status=422)


@requires("checklists.add_case")
@require_http_methods(["GET", "HEAD", "POST"])
def schedule_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The day's theatre list, uploaded as a file (a CSV or a FHIR Bundle): each appointment's
    case scheduled, moved or left alone, as ``manage.py import_schedule`` does, and the report
    shown (rows created, updated, unchanged, refused with their line and reason)."""
    form = ScheduleUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if not form.is_bound:
        return render(request, "checklists/schedule_import.html", {"form": form})
    if form.is_valid():
        read = import_schedule_bundle if form.is_bundle() else import_schedule_csv
        try:
            report = read(
                form.cleaned_data["file"].read(),
                actor=request.user,
                context=request_context(request),
            )
        except UnreadableFile as error:
            form.add_error("file", str(error))
        else:
            summary, *refusals = report_lines(report)
            context = {"form": ScheduleUploadForm(), "report": report, "summary": summary}
            context["refusals"] = [line.strip() for line in refusals]
            return render(request, "checklists/schedule_import.html", context)
    return render(request, "checklists/schedule_import.html", {"form": form}, status=422)


@never_cache
@requires("checklists.add_case")  # as ``workflow.change_surgeon``: those who schedule cases
@require_http_methods(["GET", "HEAD", "POST"])
def case_surgeon(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Hand an open case to another surgeon, with why. A refusal (someone changed the surgeon
    meanwhile, the case closed) draws the case as it is now, the reason typed kept."""
    case = selectors.get_case(case_id=case_id)
    form = SurgeonChangeForm(request.POST if request.method == "POST" else None, case=case)
    error, status = "", 200
    if form.is_bound and not form.is_valid():
        status = 422
    elif form.is_bound:
        new = form.cleaned_data["surgeon"]
        try:
            workflow.change_surgeon(
                actor=request.user,
                case_id=case.pk,
                surgeon=new,
                reason=form.cleaned_data["reason"],
                seen_surgeon_id=form.cleaned_data["seen_surgeon"],
                context=request_context(request),
            )
        except WorkflowError as refusal:
            error, status = refusal.message, refusal.status_code
            case = selectors.get_case(case_id=case_id)
            form = SurgeonChangeForm(case=case, initial={"reason": form.cleaned_data["reason"]})
        else:
            messages.success(request, f"{display_name(new)} is now the case's surgeon.")
            return redirect("case-detail", case_id=case.pk)
    context = {
        "case": case,
        "form": form,
        "error": error,
        "initials": selectors.patient_initials(case.patient_name),
        "time_outs": selectors.standing_time_outs(case) if case.is_open else [],
    }
    return render(request, "checklists/case_surgeon.html", context, status=status)


@never_cache  # patient identity: a shared tablet's back button must not show it after logoff
@requires("checklists.view_case")
@require_http_methods(["GET", "HEAD", "POST"])
def case_sign_out(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    signs_for_self = request.user.has_perm("checklists.sign_case")
    # At the tablet of someone who cannot sign, the surgeon signs by name and password.
    for_someone_else = not signs_for_self and request.user.has_perm("checklists.record_step")
    data = request.POST if request.method == "POST" else None
    case = selectors.get_case(case_id=case_id)
    initial = {"signer": case.surgeon_id}
    form = SignOutForm(data, initial=initial, for_someone_else=for_someone_else)
    error, status = None, 200
    if form.is_bound and not form.is_valid():
        status = 422
    elif form.is_bound:
        signer = form.cleaned_data.get("signer") or request.user
        try:
            signature = workflow.sign_out(
                actor=signer,
                case_id=case_id,
                password=form.cleaned_data["password"],
                context=request_context(request),
            )
        except WorkflowError as refusal:
            error, status = refusal.message, refusal.status_code
            # A password is never sent back to the browser; the chosen surgeon stays chosen.
            initial = {"signer": signer.pk}
            form = SignOutForm(initial=initial, for_someone_else=for_someone_else)
        else:
            signed_at = timezone.localtime(signature.signed_at)
            signed = (
                f"Case signed by {signature.printed_name} at {signed_at:%H:%M}. "
                "The record is now locked."
            )
            case_page = reverse("case-detail", args=[case_id])
            handed_back = handover.hand_back(request, next_path=case_page)
            if handed_back is not None:  # a tablet handed to the surgeon goes back
                messages.success(request, f"{signed} The tablet is free for the next person.")
                return handed_back
            messages.success(request, signed)
            return redirect(case_page)
        # Read after the attempt: the page shows the case as it is now, whoever changed it.
        case = selectors.get_case(case_id=case_id)
    context = _sign_out_context(request, case, form, error)
    context["for_someone_else"] = for_someone_else
    log_view(request, action=AccessAction.SIGN_OUT, case_id=case.pk)  # the page names the patient
    return render(request, "checklists/sign_out.html", context, status=status)


def _sign_out_context(
    request: AuthenticatedHttpRequest, case: Case, form: SignOutForm, error: str | None
) -> dict[str, object]:
    missing = workflow.missing_for_sign_out(case)
    can_sign = request.user.has_perm("checklists.sign_case") or "signer" in form.fields
    return {
        "case": case,
        "missing": missing,
        "signatures": selectors.signatures_for(case),
        "form": form,
        "error": error,
        "meaning": SignatureMeaning.SIGN_OUT.label,
        "can_sign": can_sign,
        "show_password": can_sign and case.status == CaseStatus.IN_PROGRESS and not missing,
    }


@requires("checklists.cancel_case")
@require_POST
def case_cancel(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    return change_and_go_back(
        request,
        case_id,
        CancelCaseForm(request.POST),
        change=lambda data: workflow.cancel(
            actor=request.user,
            case_id=case_id,
            reason=data["reason"],
            context=request_context(request),
        ),
        done="The case was cancelled. Its record is kept, read-only.",
    )
