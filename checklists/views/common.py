"""What the checklist app's pages share."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from accounts.http import AuthenticatedHttpRequest
from checklists import selectors
from checklists.errors import WorkflowError


def change_and_go_back(
    request: AuthenticatedHttpRequest,
    case_id: int,
    form: forms.Form,
    *,
    change: Callable[[dict[str, Any]], object],
    done: str,
    level: int = messages.SUCCESS,
) -> HttpResponse:
    """A one-form change to a case posted from its checklist page without htmx (cancelling it,
    calling or resolving a Stop): made with ``done`` said, or refused with the form's or the
    workflow's reason; either way back to the page. A 404 for a case that does not exist."""
    case = selectors.get_case(case_id=case_id)
    if not form.is_valid():
        problems = (str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, " ".join(problems))
        return redirect("case-detail", case_id=case.pk)
    try:
        change(form.cleaned_data)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.add_message(request, level, done)
    return redirect("case-detail", case_id=case.pk)
