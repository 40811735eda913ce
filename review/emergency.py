"""Emergency access ("break-glass"): granting it, finding who holds it, signing it off.

Someone whose role does not read review records (OR staff, a surgeon) may still need a case's
whole record at once. They give a reason, and for ``settings.EMERGENCY_ACCESS_MINUTES`` that one
case's record opens to them. The grant is loud: an access-log entry of its own kind, a WARNING
in the server log (ids only: no patient identity and not the reason, which is free text), a
banner on every page while it lasts, and a row in the admin until an administrator signs it
off. A grant is not a change to the case, so it is not workflow and writes no audit event.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from checklists.access import log_access
from checklists.choices import AccessAction
from checklists.live_sync import MAX_CASE_ID
from review.models import EmergencyAccess

REVIEW = "checklists.review_case"
logger = logging.getLogger(__name__)


def needs_emergency_access(user: User) -> bool:
    """Whether ``user``'s role keeps review records closed to them."""
    return not user.has_perm(REVIEW)


def active_grant(*, user: User, case_id: int) -> EmergencyAccess | None:
    """``user``'s grant to read case ``case_id`` that has not yet ended, if any."""
    if not 0 < case_id <= MAX_CASE_ID:  # the URL takes any digits; the database would refuse
        return None
    grants = EmergencyAccess.objects.active().filter(user=user, case_id=case_id)
    return grants.order_by("-ends_at").first()


def active_grants(user: User) -> list[EmergencyAccess]:
    """Every grant of ``user``'s still running, the one ending last first (one query)."""
    return list(EmergencyAccess.objects.active().filter(user=user).order_by("-ends_at", "-pk"))


def may_read_record(user: User, case_id: int) -> bool:
    """Whether ``user`` may open case ``case_id``'s review record now: by role, or by a grant."""
    return not needs_emergency_access(user) or active_grant(user=user, case_id=case_id) is not None


@transaction.atomic
def grant(
    *, user: User, case_id: int, reason: str, context: RequestContext = NO_CONTEXT
) -> EmergencyAccess:
    """Open case ``case_id``'s record to ``user`` for the next EMERGENCY_ACCESS_MINUTES, for
    ``reason`` (already checked by the form: not empty, plain text)."""
    now = timezone.now()
    access = EmergencyAccess.objects.create(
        user=user,
        case_id=case_id,
        reason=reason,
        started_at=now,
        ends_at=now + datetime.timedelta(minutes=settings.EMERGENCY_ACCESS_MINUTES),
    )
    log_access(user=user, action=AccessAction.EMERGENCY, case_id=case_id, context=context)
    transaction.on_commit(lambda: _warn(access))
    return access


def _warn(access: EmergencyAccess) -> None:
    logger.warning(
        "EMERGENCY ACCESS granted: user %s (id %s) opened the record of case %s until %s "
        "(grant %s); an administrator must review it.",
        access.user.get_username(),
        access.user_id,
        access.case_id,
        access.ends_at.isoformat(timespec="seconds"),
        access.pk,
    )


def sign_off(grants: QuerySet[EmergencyAccess], *, by: User) -> int:
    """Mark those of ``grants`` not yet signed off as reviewed by ``by``, now. Grants already
    signed off keep who signed them and when. Returns how many were signed off."""
    pending = grants.filter(reviewed_at__isnull=True)
    return pending.update(reviewed_by=by, reviewed_at=timezone.now())
