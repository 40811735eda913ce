"""Django's ModelBackend, reading a person's permissions in one plain SQL query.

Nearly every view checks a permission (``accounts.permissions.requires``). ModelBackend answers
with two ORM queries, the user's own permissions and their groups'. Building those two querysets
(joins through four tables) costs more CPU than running them: 0.7 ms on SQLite and 1.1 ms on
PostgreSQL on the bench machine, a third of the tablets' 3-second live-sync poll. The same
question as one plain SQL query costs 0.03 and 0.09 ms (bench/RESULTS.md).

The answer is what ModelBackend's would be (tests/site/test_backends.py compares the two for
every role), read afresh on every request: nothing is cached between requests, so a role taken
away counts from the person's next request, on every server. Superusers keep ModelBackend's own
path (every permission).
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection


class RoleBackend(ModelBackend):
    """ModelBackend with ``get_all_permissions`` in one query (see above), and the person's
    staff profile (their theatre role, ``accounts.people.holds_role``) read with them."""

    def get_user(self, user_id: int) -> User | None:
        # get, not first: a look-up by key needs no ORDER BY, which would cost every request
        # some 400 function calls (bench/request_costs.py)
        try:
            user = User._default_manager.select_related("staff_profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: User | AnonymousUser, obj: object = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj)
        # The attribute ModelBackend keeps its answer in, for the rest of the request (private to
        # ModelBackend, so the stubs do not declare it).
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as cursor:
                cursor.execute(PERMISSIONS_SQL, [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor}  # type: ignore[attr-defined]
        return user_obj._perm_cache  # type: ignore[attr-defined]


# Django's own auth tables (AUTH_USER_MODEL is auth.User). tests/site/test_backends.py checks
# the answer against ModelBackend's for every role, so a change of user model shows there.
PERMISSIONS_SQL = """
    SELECT ct.app_label, p.codename
    FROM auth_permission p
    JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE p.id IN (
        SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %s
        UNION
        SELECT gp.permission_id FROM auth_group_permissions gp
        JOIN auth_user_groups ug ON ug.group_id = gp.group_id
        WHERE ug.user_id = %s
    )
"""
