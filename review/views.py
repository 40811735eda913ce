"""Pages for reviewers at a desktop. Reads come from review.selectors; the one change, "Mark
reviewed", goes through checklists.workflow. Every list, record view and export is logged.

The record also opens, for one case and a short while, to someone without the reviewer's role
who gives a reason: emergency access (``review.emergency``)."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists import debrief, workflow
from checklists.access import log_access
from checklists.choices import AccessAction
from checklists.errors import WorkflowError
from review import documents, emergency, exports, selectors
from review.choices import ExportRows
from review.filters import MRN_HELD, ReviewCaseFilter
from review.forms import DashboardForm, EmergencyAccessForm, MarkReviewedForm, MrnSearchForm
from review.recalls import PAGE_SIZE, RecallLookup

REVIEW = "checklists.review_case"
EXPORT = "checklists.export_case"
# Anyone who may see cases at all; whether the record opens to them is decided in the view,
# by their role or by an emergency-access grant for that case.
SEE_CASES = "checklists.view_case"
EMERGENCY_ACCESS = "review.add_emergencyaccess"
# The session key of the MRN searched for: held server-side (sessions live in the database),
# never in a URL, a log line or the access log.
HELD_MRN = "review_held_mrn"
DEBRIEF_PAGE_SIZE = 50


@never_cache  # an MRN search's results are one patient's cases
@requires(REVIEW)
@require_safe
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    cases = ReviewCaseFilter(request.GET, held_mrn=request.session.get(HELD_MRN, ""))
    page = selectors.review_page(
        cases.qs,
        number=request.GET.get("page"),
        per_page=cases.page_size,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        days=cases.listed_days(),
    )
    log_access(
        user=request.user,
        action=AccessAction.LIST,
        filters=cases.describe(),
        context=request_context(request),
    )
    query = cases.query()
    context = {
        "filter": cases,
        "page": page,
        "query": query,
        "mrn_form": MrnSearchForm(initial={"filters": query.urlencode()}),
    }
    return render(request, "review/case_list.html", context, status=400 if cases.errors else 200)


@never_cache
@requires(REVIEW)
@require_POST
def mrn_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """POST-redirect-GET: the MRN stays in the session; the URL only says ``mrn=held``."""
    form = MrnSearchForm(request.POST)
    if not form.is_valid():
        problems = form.errors.get("mrn", ["The MRN could not be read."])
        messages.error(request, " ".join(map(str, problems)))
        return redirect("review:case-list")
    query = ReviewCaseFilter(QueryDict(form.cleaned_data["filters"])).query()
    query.pop("page", None)
    if form.cleaned_data["mrn"]:
        request.session[HELD_MRN] = form.cleaned_data["mrn"]
        query["mrn"] = MRN_HELD
    else:
        request.session.pop(HELD_MRN, None)
        query.pop("mrn", None)
    return redirect(f"{reverse('review:case-list')}?{query.urlencode()}")


@never_cache
@requires(REVIEW, EXPORT)
@require_safe
def case_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Exactly the filtered list, streamed; refused (400) if a filter cannot be read, rather
    than exporting a different set than the one asked for."""
    cases = ReviewCaseFilter(request.GET, held_mrn=request.session.get(HELD_MRN, ""))
    rows = request.GET.get("rows", ExportRows.CASES)
    if not cases.is_valid() or rows not in ExportRows.values:
        message = "The export was not made: its filters could not be read. Export from the list."
        context = {"status": 400, "title": "Bad request", "message": message, "error_page": True}
        return render(request, "error.html", context, status=400)
    log_access(
        user=request.user,
        action=AccessAction.EXPORT,
        filters="; ".join(filter(None, [f"rows={rows}", cases.describe()])),
        context=request_context(request),
    )
    return exports.csv_response(cases.qs, rows=rows)


@never_cache  # patient identity
@requires(SEE_CASES)
@require_safe
def record(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Reviewers' and administrators' by role; anyone else's only during an emergency-access
    grant for this case, and otherwise a 403 that says how to get one."""
    if not emergency.may_read_record(request.user, case_id):
        context = {"case_id": case_id, "minutes": settings.EMERGENCY_ACCESS_MINUTES}
        return render(request, "review/record_closed.html", context, status=403)
    return _record_page(request, case_id, form=MarkReviewedForm(case_id=case_id))


@never_cache  # the form may come back holding a reason, which may name the patient
@requires(EMERGENCY_ACCESS)
@require_http_methods(["GET", "HEAD", "POST"])
def emergency_access(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Break-glass: the case's record opens for a while to whoever gives a reason here. The
    page shows the case without its patient; identity comes only with the record."""
    case = selectors.case_outline(case_id=case_id)
    user = request.user
    if not emergency.needs_emergency_access(user) or emergency.active_grant(
        user=user, case_id=case.pk
    ):
        return redirect("review:record", case_id=case.pk)
    form = EmergencyAccessForm(request.POST if request.method == "POST" else None, case_id=case.pk)
    if form.is_valid():
        # The banner on every page says it is open, until when, and that it is logged.
        emergency.grant(
            user=user,
            case_id=case.pk,
            reason=form.cleaned_data["reason"],
            context=request_context(request),
        )
        return redirect("review:record", case_id=case.pk)
    context = {"case": case, "form": form, "minutes": settings.EMERGENCY_ACCESS_MINUTES}
    status = 400 if form.is_bound else 200
    return render(request, "review/emergency_access.html", context, status=status)


@never_cache  # patient identity
@requires("checklists.view_case")
@require_safe
def implant_card_pdf(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """The patient's implant card, printed by the theatre team (or a reviewer) once the case
    is signed out, to hand to the patient; logged as its own kind of access."""
    card = selectors.implant_card(case_id=case_id)
    log_access(
        user=request.user,
        action=AccessAction.IMPLANT_CARD,
        case_id=card.case.pk,
        context=request_context(request),
    )
    pdf = documents.implant_card_pdf(card, printed_at=timezone.now())
    return documents.pdf_response(pdf, case_id=card.case.pk, document="implant-card")


@never_cache  # patient identity
@requires(REVIEW)
@require_safe
def record_pdf(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """The record as a PDF to download: the same permission as the record, logged as its own
    kind of access (a document can leave the building)."""
    record = selectors.case_record(case_id=case_id)
    log_access(
        user=request.user,
        action=AccessAction.DOWNLOAD,
        case_id=record.case.pk,
        context=request_context(request),
    )
    pdf = documents.record_pdf(record, printed_by=request.user, printed_at=timezone.now())
    return documents.pdf_response(pdf, case_id=record.case.pk)


@never_cache
@requires(REVIEW)
@require_POST
def mark_reviewed(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    form = MarkReviewedForm(request.POST, case_id=case_id)
    if not form.is_valid():
        return _record_page(request, case_id, form=form, status=400)
    try:
        workflow.mark_reviewed(
            actor=request.user,
            case_id=case_id,
            comment=form.cleaned_data["comment"],
            context=request_context(request),
        )
    except WorkflowError as refused:
        return _record_page(
            request, case_id, form=form, error=refused.message, status=refused.status_code
        )
    messages.success(request, "The case is marked reviewed.")
    return redirect("review:record", case_id=case_id)


def _record_page(
    request: AuthenticatedHttpRequest,
    case_id: int,
    *,
    form: MarkReviewedForm,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    record = selectors.case_record(case_id=case_id)
    log_access(
        user=request.user,
        action=AccessAction.VIEW,
        case_id=record.case.pk,
        context=request_context(request),
    )
    context = {
        "record": record,
        "case": record.case,
        "form": form,
        "error": error,
        # Read after the entry above: the person reading is the first of "who viewed".
        "views": selectors.record_views(case_id=record.case.pk),
    }
    return render(request, "review/record.html", context, status=status)


@requires(REVIEW)
@require_safe
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Aggregates only, no patient's record: not an access to log."""
    form = DashboardForm(request.GET or None)
    if not form.is_bound:
        form = DashboardForm(initial=DashboardForm.defaults())
    valid = form.is_bound and form.is_valid()
    period = form.cleaned_data if valid else DashboardForm.defaults()
    figures = selectors.dashboard(**period)
    context = {"form": form, "figures": figures, "chart_data": figures.chart_data()}
    status = 400 if form.is_bound and not valid else 200
    return render(request, "review/dashboard.html", context, status=status)


@requires(REVIEW)
@require_safe
def debrief_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every case's debrief actions, open, overdue or closed, each closable here with a note.
    No patient's identity (the case's procedure, room and day): not an access to log."""
    status = request.GET.get("status", debrief.OPEN)
    if status not in debrief.STATUSES:
        status = debrief.OPEN
    actions = debrief.actions_by_status(status)
    page = Paginator(actions, DEBRIEF_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"status": status, "statuses": debrief.STATUSES, "page": page}
    return render(request, "review/debrief_actions.html", context)


@never_cache  # patients' identities
@requires(REVIEW)
@require_safe
def recalls(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The cases a recalled device (its DI, perhaps a lot or serial) went into, with their
    patients: a reviewer's role sees identity. Every use is one entry in the access log."""
    lookup = RecallLookup(request.GET or None)
    searched = lookup.is_bound and lookup.is_valid()
    page = Paginator(lookup.qs, PAGE_SIZE).get_page(request.GET.get("page")) if searched else None
    log_access(
        user=request.user,
        action=AccessAction.RECALL,
        filters=lookup.describe(),
        context=request_context(request),
    )
    context = {"lookup": lookup, "page": page, "query": lookup.query()}
    status = 400 if lookup.is_bound and not searched else 200
    return render(request, "review/recalls.html", context, status=status)


@never_cache
@requires(REVIEW, EXPORT)
@require_safe
def recalls_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every implant the look-up finds, with its case and patient, streamed as CSV; refused
    (400) when the search cannot be read, rather than exporting something else."""
    lookup = RecallLookup(request.GET)
    if not lookup.is_valid():
        message = "The export was not made: the device could not be read. Export from the look-up."
        context = {"status": 400, "title": "Bad request", "message": message, "error_page": True}
        return render(request, "error.html", context, status=400)
    log_access(
        user=request.user,
        action=AccessAction.RECALL_EXPORT,
        filters=lookup.describe(),
        context=request_context(request),
    )
    return exports.recall_csv_response(lookup.qs)
