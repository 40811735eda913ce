from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from checklists import selectors


@permission_required("checklists.view_case", raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    day = timezone.localdate()
    cases = selectors.cases_for_day(day=day)
    return render(request, "checklists/board.html", {"day": day, "cases": cases})
