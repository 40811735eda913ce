"""Shared blocks in the admin: a block's page lists its versions and the procedures that include
it; its draft is edited in the same step table as a procedure's, previewed in a procedure as the
tablet will show it, and published with a change note, which publishes a new version of each of
those procedures (``procedures.blocks``). Registered by ``procedures.admin``."""

from typing import TYPE_CHECKING, Any, TypedDict

from adminsortable2.admin import SortableAdminBase
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from procedures.blocks import including, publish_block, start_block_draft
from procedures.choices import VersionStatus
from procedures.diff import diff_versions
from procedures.editor import PUBLISH, BlockStepFormSet, BlockVersionForm, StepForm
from procedures.models import Block, BlockStep, BlockVersion
from procedures.step_inline import VersionStepsInline, is_draft
from procedures.versions import PublishRefused

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class BlockStepInline(VersionStepsInline):
    model = BlockStep
    formset = BlockStepFormSet
    # No phase (the block's) and no milestone (only the Procedure phase marks one).
    detail_fields = tuple(name for name in StepForm.DETAIL_FIELDS if name != "milestone")
    fields = ["title", "role", "kind", "options", "required", "hard_stop", "per_side"]
    fields += list(detail_fields)


@admin.register(BlockVersion)
class BlockVersionAdmin(SortableAdminBase, admin.ModelAdmin):
    form = BlockVersionForm
    inlines = [BlockStepInline]
    fields = ["block", "number", "status", "change_note", "published_by", "published_at"]
    readonly_fields = ["block", "number", "status", "published_by", "published_at"]
    change_form_template = "admin/procedures/blockversion/change_form.html"

    class Media:
        css = {"all": ["css/step_editor.css"]}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_draft:
            return ["block", "change_note"]
        return super().get_fields(request, obj)

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # reached from its block

    def get_queryset(self, request: HttpRequest) -> QuerySet[BlockVersion]:
        return super().get_queryset(request).select_related("block", "published_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a draft is started from its block

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
        context: dict[str, Any] = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        if version is not None:
            context["including"] = list(including(version.block))
            context["block_url"] = reverse("admin:procedures_block_change", args=[version.block_id])
            context["can_publish"] = version.is_draft and request.user.has_perm(
                "procedures.publish_blockversion"
            )
            published = version.block.published_version() if version.is_draft else None
            if published is not None:
                context["published"] = published
                context["changes"] = diff_versions(published, version)
        return super().changeform_view(request, object_id, form_url, context)

    def response_change(self, request: HttpRequest, obj: BlockVersion) -> HttpResponse:
        if PUBLISH not in request.POST:
            return super().response_change(request, obj)
        if not request.user.has_perm("procedures.publish_blockversion"):
            raise PermissionDenied
        try:
            republished = publish_block(
                version=obj,
                by=request.user,  # type: ignore[arg-type]
                note=obj.change_note,
            )
        except PublishRefused as refused:
            self.message_user(request, f"Saved, not published: {refused}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        names = "; ".join(f"{v.procedure}, version {v.number}" for v in republished)
        self.message_user(
            request,
            f"Version {obj.number} of {obj.block} published, and with it "
            f"{len(republished)} procedure version{'s' if len(republished) != 1 else ''}"
            f"{': ' + names if names else ''}. Cases scheduled from now on follow them; cases "
            "already scheduled keep their steps.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:procedures_block_change", args=[obj.block_id]))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        super().response_delete(request, obj_display, obj_id)
        return HttpResponseRedirect(reverse("admin:procedures_block_changelist"))


class BlockVersionHistoryInline(admin.TabularInline):
    """Every version of the block, newest first: who published it, when, and why."""

    model = BlockVersion
    verbose_name = "version"
    verbose_name_plural = "Versions"
    fields = ["number", "status", "change_note", "published_by", "published_at"]
    readonly_fields = ["number", "status", "change_note", "published_by", "published_at"]
    show_change_link = True
    can_delete = False
    extra = 0
    ordering = ["-number"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BlockVersion]:
        return super().get_queryset(request).select_related("published_by", "block")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BlockSummary(TypedDict):
    published_number: int | None
    draft_number: int | None
    step_count: int


PUBLISHED = Q(versions__status=VersionStatus.PUBLISHED)


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["title", "phase", "published", "step_count", "draft"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "phase", "description"]
    inlines = [BlockVersionHistoryInline]
    change_form_template = "admin/procedures/block/change_form.html"

    def get_queryset(
        self, request: HttpRequest
    ) -> "QuerySet[WithAnnotations[Block, BlockSummary]]":
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

    @admin.display(description="Steps")
    def step_count(self, block: "WithAnnotations[Block, BlockSummary]") -> int:
        return block.step_count

    @admin.display(description="Published version")
    def published(self, block: "WithAnnotations[Block, BlockSummary]") -> str:
        number = block.published_number
        return f"Version {number}" if number else "None yet"

    @admin.display(description="Draft")
    def draft(self, block: "WithAnnotations[Block, BlockSummary]") -> str:
        number = block.draft_number
        return f"Version {number}" if number else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Its procedures hold its steps in their phase: moving it would break their order.
        return ["phase"] if obj is not None else []

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        block = self.get_object(request, object_id) if object_id else None
        if block is not None:
            context["including"] = list(including(block))
        return super().changeform_view(request, object_id, form_url, context)

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/draft/",
                self.admin_site.admin_view(self.draft_view),
                name="procedures_block_draft",
            )
        ]
        return own + super().get_urls()

    def save_model(self, request: HttpRequest, obj: Block, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            start_block_draft(block=obj, by=request.user)  # type: ignore[arg-type]

    def response_add(
        self, request: HttpRequest, obj: Block, post_url_continue: str | None = None
    ) -> HttpResponse:
        draft = obj.versions.get(status=VersionStatus.DRAFT)
        self.message_user(
            request, f"{obj} added. Add its steps, then publish them.", messages.SUCCESS
        )
        return HttpResponseRedirect(_version_url(draft))

    @method_decorator(require_POST)
    def draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open the block's draft, starting one from the published steps if need be."""
        if not request.user.has_perm("procedures.add_blockversion"):
            raise PermissionDenied
        block = self.get_object(request, object_id)
        if block is None:
            raise Http404("No such block.")
        draft = start_block_draft(block=block, by=request.user)  # type: ignore[arg-type]
        return HttpResponseRedirect(_version_url(draft))


def _version_url(version: BlockVersion) -> str:
    return reverse("admin:procedures_blockversion_change", args=[version.pk])
