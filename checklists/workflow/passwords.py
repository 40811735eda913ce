"""A signature's password: checked, its refusals audited and counted, the signer locked out."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.context import RequestContext
from checklists import payloads
from checklists.choices import AuditAction
from checklists.errors import SignatureLocked
from checklists.models import AuditEvent, Case
from checklists.workflow.chain import append_event


def password_matches(
    case: Case,
    actor: User,
    password: str,
    context: RequestContext,
    meaning: str,
) -> bool:
    _check_signing_not_locked(actor)
    if actor.check_password(password):
        return True
    append_event(
        case,
        actor=actor,
        action=AuditAction.SIGNATURE_REFUSED,
        after=payloads.signature_refused(meaning=meaning),
        context=context,
        bump_version=False,
    )
    return False


def _check_signing_not_locked(actor: User) -> None:
    """A signature password is guessable like any other: count this signer's recent refusals
    (on every case) and refuse to check another password while there are too many."""
    # Locking the signer's row serialises their attempts, so two at once cannot both slip in.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).exists()
    window = datetime.timedelta(minutes=settings.SIGNATURE_LOCK_MINUTES)
    limit = settings.SIGNATURE_MAX_FAILURES
    refusals = AuditEvent.objects.filter(
        actor=actor,
        action=AuditAction.SIGNATURE_REFUSED,
        created_at__gte=timezone.now() - window,
    ).order_by("-created_at")
    counted = list(refusals.values_list("created_at", flat=True)[:limit])
    if len(counted) < limit:
        return
    until = timezone.localtime(counted[-1] + window)
    raise SignatureLocked(
        f"Too many wrong passwords: signing is locked for you until {until:%H:%M}. "
        "Nothing was signed. If those tries were not yours, tell an administrator."
    )
