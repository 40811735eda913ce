"""Emergency accesses in the admin: administrators read each one and sign it off.

Nothing else about a grant can be changed here (who, which case, why, when are what is being
reviewed), and none can be added or deleted: grants are made by the emergency-access page only.
"""

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from review import emergency
from review.models import EmergencyAccess

NOT_YET = "no"


class SignedOffFilter(admin.SimpleListFilter):
    """Not yet signed off, unless asked otherwise: the list is the administrator's to-do."""

    title = "signed off"
    parameter_name = "signed_off"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(NOT_YET, "Not yet"), ("yes", "Signed off"), ("all", "All")]

    def value(self) -> str:
        return super().value() or NOT_YET

    def choices(self, changelist: ChangeList) -> Any:
        # The lookups alone: no "All" of Django's own beside ours (our default is "Not yet").
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == NOT_YET:
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(admin.ModelAdmin):
    list_display = ["started_at", "user", "case", "reason", "ends_at", "reviewed_by", "reviewed_at"]
    list_select_related = ["user", "case", "reviewed_by"]
    list_filter = [SignedOffFilter]
    date_hierarchy = "started_at"
    actions = ["sign_off"]
    fields = readonly_fields = (
        "user",
        "case",
        "reason",
        "started_at",
        "ends_at",
        "reviewed_by",
        "reviewed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Every field is read-only: a Save button would save nothing. Sign off from the list.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(permissions=["change"], description="Sign off the selected emergency accesses")
    def sign_off(self, request: HttpRequest, queryset: QuerySet[EmergencyAccess]) -> None:
        signed = emergency.sign_off(queryset, by=cast(User, request.user))
        left = queryset.count() - signed
        text = f"{signed} emergency access{'es' if signed != 1 else ''} signed off."
        if left:
            text += f" {left} had already been signed off and keep who did it and when."
        self.message_user(request, text, messages.SUCCESS)
