"""A procedure version's preview: its checklist as the tablet will show it, for the clinical
leads who edit it (reached from the draft's page in the admin).

It lives in ``checklists``, not ``procedures``, because it draws the tablet's own checklist
(its snapshot of the steps, its selectors and template), and procedures, below checklists in
the layers of pyproject.toml, may not import them."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists.choices import Laterality
from checklists.preview import get_version, preview_context


@requires("procedures.change_procedureversion")
@require_safe
def procedure_preview(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = get_version(version_id=version_id)
    side = request.GET.get("side", "")
    laterality = side if side in Laterality.values else Laterality.LEFT
    context = preview_context(request, version, laterality=laterality)
    return render(request, "checklists/procedure_preview.html", context)
