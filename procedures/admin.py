"""Procedure templates in the admin, as a clinical lead edits them.

A procedure holds its identity (title, approach, description) and its versions. Its steps are
edited in a draft: one compact table whose rows are dragged into order (django-admin-sortable2),
each step's less used fields folded under its title. The draft is published, with a change
note, from the same page; published and retired versions are shown read-only.
"""

from typing import TYPE_CHECKING, Any, TypedDict

from adminsortable2.admin import (
    SortableAdminBase,
)
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from procedures import block_admin  # noqa: F401 (the shared blocks' pages, registered)
from procedures.blocks import include_block
from procedures.choices import VersionStatus
from procedures.diff import diff_versions
from procedures.editor import (
    PUBLISH,
    CompareForm,
    IncludeBlockForm,
    StepForm,
    StepFormSet,
    VersionForm,
)
from procedures.imports import import_questionnaire, kept_message
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.questionnaire import (
    QuestionnaireRefused,
    chosen_version,
    export_json,
)
from procedures.step_inline import VersionStepsInline, is_draft
from procedures.versions import DraftRefused, PublishRefused, publish, start_draft

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class StepInline(VersionStepsInline):
    model = Step
    formset = StepFormSet
    fields = [
        "phase",
        "title",
        "role",
        "kind",
        "options",
        "required",
        "hard_stop",
        "per_side",
        *StepForm.DETAIL_FIELDS,
    ]
    detail_fields = StepForm.DETAIL_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Step]:
        # Each row copied from a shared block names it ("from WHO Time Out, version 3").
        return super().get_queryset(request).select_related("block_step__version__block")


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(SortableAdminBase, admin.ModelAdmin):
    form = VersionForm
    inlines = [StepInline]
    fields = ["procedure", "number", "status", "change_note", "published_by", "published_at"]
    readonly_fields = ["procedure", "number", "status", "published_by", "published_at"]
    change_form_template = "admin/procedures/procedureversion/change_form.html"

    class Media:
        css = {"all": ["css/step_editor.css"]}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_draft:
            return ["procedure", "change_note"]  # its number and status are in its title
        return super().get_fields(request, obj)

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # reached from its procedure, not listed on the admin's index

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/questionnaire/",
                self.admin_site.admin_view(self.questionnaire_view),
                name="procedures_procedureversion_questionnaire",
            ),
            path(
                "<path:object_id>/include-block/",
                self.admin_site.admin_view(self.include_block_view),
                name="procedures_procedureversion_include_block",
            ),
        ]
        return own + super().get_urls()

    @method_decorator(require_POST)
    def include_block_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add a shared block's published steps to the draft, read-only, in their phase."""
        version = self.get_object(request, object_id)
        if version is None:
            raise Http404("No such version.")
        if not self.has_change_permission(request, version):
            raise PermissionDenied
        form = IncludeBlockForm(request.POST, draft=version)
        if not form.is_valid():
            self.message_user(
                request, " ".join(str(error) for error in form.errors["block"]), messages.ERROR
            )
            return HttpResponseRedirect(_version_url(version))
        found = form.cleaned_data["block"]
        try:
            copies = include_block(draft=version, block=found)
        except DraftRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.message_user(
                request,
                f"{found}: its {len(copies)} steps added to the draft, read-only (edited in the "
                "block). Drag them into place among the procedure's own steps if need be.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(_version_url(version))

    def questionnaire_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The version as a FHIR Questionnaire, downloaded (for another hospital's import)."""
        version = self.get_object(request, object_id)
        if version is None:
            raise Http404("No such version.")
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        return questionnaire_download(version)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcedureVersion]:
        return super().get_queryset(request).select_related("procedure", "published_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a draft is started from its procedure

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_draft(obj) and super().has_delete_permission(request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = self.get_object(request, object_id) if object_id else None
        context = {
            **(extra_context or {}),
            "is_nav_sidebar_enabled": False,  # the step table needs the width
            "can_publish": version is not None
            and version.is_draft
            and request.user.has_perm("procedures.publish_procedureversion"),
        }
        if version is not None and version.is_draft:
            context["include_block_form"] = IncludeBlockForm(draft=version)
            # What publishing it would change, counted: the lead sees it before publishing.
            published = version.procedure.published_version()
            if published is not None:
                context["published"] = published
                context["changes"] = diff_versions(published, version)
        if version is not None:
            context["procedure_url"] = reverse(
                "admin:procedures_procedure_change", args=[version.procedure_id]
            )
            context["compare_url"] = reverse(
                "admin:procedures_procedure_compare", args=[version.procedure_id]
            )
        return super().changeform_view(request, object_id, form_url, context)

    def response_change(self, request: HttpRequest, obj: ProcedureVersion) -> HttpResponse:
        if PUBLISH not in request.POST:
            return super().response_change(request, obj)
        if not request.user.has_perm("procedures.publish_procedureversion"):
            raise PermissionDenied
        try:
            publish(version=obj, by=request.user, note=obj.change_note)  # type: ignore[arg-type]
        except PublishRefused as refused:
            self.message_user(request, f"Saved, not published: {refused}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        self.message_user(
            request,
            f"Version {obj.number} of {obj.procedure} published: cases scheduled from now on "
            "follow it; cases already scheduled keep their steps.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:procedures_procedure_change", args=[obj.procedure_id])
        )

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        super().response_delete(request, obj_display, obj_id)
        return HttpResponseRedirect(reverse("admin:procedures_procedure_changelist"))


class VersionStepCount(TypedDict):
    step_count: int


class VersionHistoryInline(admin.TabularInline):
    """Every version of the procedure, newest first: who published it, when, and why."""

    model = ProcedureVersion
    verbose_name = "version"
    verbose_name_plural = "Versions"
    fields = ["number", "status", "change_note", "published_by", "published_at", "step_count"]
    readonly_fields = ["number", "status", "change_note", "published_by", "published_at"]
    readonly_fields += ["step_count"]
    show_change_link = True
    can_delete = False
    extra = 0
    ordering = ["-number"]

    def get_queryset(
        self, request: HttpRequest
    ) -> "QuerySet[WithAnnotations[ProcedureVersion, VersionStepCount]]":
        return (
            super()
            .get_queryset(request)
            .select_related("published_by", "procedure")
            .annotate(step_count=Count("steps"))
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Steps")
    def step_count(self, version: "WithAnnotations[ProcedureVersion, VersionStepCount]") -> int:
        return version.step_count


class ProcedureSummary(TypedDict):
    """What the procedure list's queryset adds to each procedure."""

    step_count: int
    published_number: int | None
    draft_number: int | None


PUBLISHED = Q(versions__status=VersionStatus.PUBLISHED)


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["title", "approach", "active", "published", "step_count", "draft"]
    list_filter = ["approach", "active"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "approach", "active", "description"]
    inlines = [VersionHistoryInline]
    change_form_template = "admin/procedures/procedure/change_form.html"
    change_list_template = "admin/procedures/procedure/change_list.html"
    actions = ["export_questionnaire"]

    class Media:
        css = {"all": ["css/step_editor.css"]}

    def get_queryset(
        self, request: HttpRequest
    ) -> "QuerySet[WithAnnotations[Procedure, ProcedureSummary]]":
        return (
            super()
            .get_queryset(request)
            .annotate(
                step_count=Count("versions__steps", filter=PUBLISHED),
                published_number=Max("versions__number", filter=PUBLISHED),
                draft_number=Max(
                    "versions__number", filter=Q(versions__status=VersionStatus.DRAFT)
                ),
            )
        )

    @admin.display(description="Steps", ordering="step_count")
    def step_count(self, procedure: "WithAnnotations[Procedure, ProcedureSummary]") -> int:
        return procedure.step_count

    @admin.display(description="Published version")
    def published(self, procedure: "WithAnnotations[Procedure, ProcedureSummary]") -> str:
        number = procedure.published_number
        return f"Version {number}" if number else "None yet"

    @admin.display(description="Draft")
    def draft(self, procedure: "WithAnnotations[Procedure, ProcedureSummary]") -> str:
        number = procedure.draft_number
        return f"Version {number}" if number else "—"

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/draft/",
                self.admin_site.admin_view(self.draft_view),
                name="procedures_procedure_draft",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="procedures_procedure_import",
            ),
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="procedures_procedure_compare",
            ),
        ]
        return own + super().get_urls()

    def save_model(self, request: HttpRequest, obj: Procedure, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            start_draft(procedure=obj, by=request.user)  # type: ignore[arg-type]

    def response_add(
        self, request: HttpRequest, obj: Procedure, post_url_continue: str | None = None
    ) -> HttpResponse:
        draft = obj.versions.get(status=VersionStatus.DRAFT)
        self.message_user(
            request, f"{obj} added. Add its steps, then publish them.", messages.SUCCESS
        )
        return HttpResponseRedirect(_version_url(draft))

    def _procedure(self, request: HttpRequest, object_id: str) -> Procedure:
        procedure = self.get_object(request, object_id)  # None for an id that is not one
        if procedure is None:
            raise Http404("No such procedure.")
        return procedure

    @method_decorator(require_POST)
    def draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open the procedure's draft, starting one from the published steps if need be."""
        if not request.user.has_perm("procedures.add_procedureversion"):
            raise PermissionDenied
        procedure = self._procedure(request, object_id)
        draft = start_draft(procedure=procedure, by=request.user)  # type: ignore[arg-type]
        return HttpResponseRedirect(_version_url(draft))

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Two versions side by side: the steps added, removed, moved and changed."""
        procedure = self._procedure(request, object_id)
        if not self.has_view_permission(request, procedure):
            raise PermissionDenied
        versions = list(procedure.versions.order_by("-number"))
        form = CompareForm(request.GET or None, versions=versions)
        old, new = form.chosen()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare versions of {procedure}",
            "opts": self.opts,
            "procedure": procedure,
            "form": form,
            "old": old,
            "new": new,
            "diff": diff_versions(old, new) if old and new else None,
        }
        return TemplateResponse(request, "admin/procedures/procedure/compare.html", context)

    @admin.action(description="Export as a FHIR Questionnaire (the published version)")
    def export_questionnaire(
        self, request: HttpRequest, queryset: QuerySet[Procedure]
    ) -> HttpResponse | None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(
                request, "Choose one procedure to export: one file each.", messages.WARNING
            )
            return None
        try:
            version = chosen_version(chosen[0])
        except ProcedureVersion.DoesNotExist as missing:
            self.message_user(request, str(missing), messages.WARNING)
            return None
        return questionnaire_download(version)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """A Questionnaire file uploaded as a new draft (of its procedure, or of a new one)."""
        if not (
            self.has_add_permission(request)
            and request.user.has_perm("procedures.add_procedureversion")
        ):
            raise PermissionDenied
        posted = request.method == "POST"
        form = ImportForm(request.POST, request.FILES) if posted else ImportForm()
        if posted and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imported = import_questionnaire(
                    upload.read(),
                    by=request.user,  # type: ignore[arg-type]
                    source=upload.name,
                )
            except QuestionnaireRefused as refused:
                form.add_error("file", f"{refused} Nothing was imported.")
            else:
                draft = imported.draft
                self.message_user(
                    request,
                    f"Imported {upload.name} as draft version {draft.number} of "
                    f"{draft.procedure}. Preview it, then publish it with a change note.",
                    messages.SUCCESS,
                )
                if imported.kept:
                    self.message_user(request, kept_message(imported.kept), messages.WARNING)
                return HttpResponseRedirect(_version_url(draft))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a procedure from a FHIR Questionnaire",
            "opts": self.opts,
            "form": form,
        }
        status = 422 if form.errors else 200
        return TemplateResponse(
            request, "admin/procedures/procedure/import.html", context, status=status
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Questionnaire file (JSON)",
        help_text=(
            "A FHIR R4 Questionnaire, as another SI Tracker exports it (or another system). It "
            "becomes a draft: of the procedure it names if there is one here (its steps only: "
            "that procedure keeps its title, description and approach), else of a new "
            "procedure. Nothing reaches the theatre until the draft is published."
        ),
    )


def questionnaire_download(version: ProcedureVersion) -> HttpResponse:
    name = f"{version.procedure.slug}-version-{version.number}.questionnaire.json"
    response = HttpResponse(export_json(version), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _version_url(version: ProcedureVersion) -> str:
    return reverse("admin:procedures_procedureversion_change", args=[version.pk])
