"""A procedure version's preview: its checklist as the tablet will show it, for the clinical
leads who edit it (reached from the draft's page in the admin).

It lives in ``checklists``, not ``procedures``, because it draws the tablet's own checklist
(its snapshot of the steps, its selectors and template), and procedures, below checklists in
the layers of pyproject.toml, may not import them."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists.preview import (
    asks_for_side,
    block_in_procedure,
    get_block_version,
    get_version,
    preview_context,
    sides_offered,
)


@requires("procedures.change_procedureversion")
@require_safe
def procedure_preview(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = get_version(version_id=version_id)
    offered, laterality = sides_offered(version.asks_for_side(), request.GET.get("side", ""))
    context = preview_context(request, version, laterality=laterality, offered=offered)
    return render(request, "checklists/procedure_preview.html", context)


@requires("procedures.change_procedureversion")
@require_safe
def block_preview(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """A shared block's version shown inside a procedure that includes it, as publishing it
    would make that procedure's next version (``?procedure=<id>`` chooses which)."""
    block_version = get_block_version(version_id=version_id)
    procedures, upcoming, steps = block_in_procedure(
        block_version, procedure_id=request.GET.get("procedure", "")
    )
    if upcoming is None:
        raise Http404("No procedure includes this block yet.")
    offered, laterality = sides_offered(asks_for_side(steps), request.GET.get("side", ""))
    context = preview_context(
        request, upcoming, laterality=laterality, offered=offered, template=steps
    )
    context.update(block_version=block_version, including=procedures)
    return render(request, "checklists/procedure_preview.html", context)
