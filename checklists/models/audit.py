"""The audit trail: append-only events, each sealed by an HMAC chained to the one before."""

import hashlib
import hmac
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models

from checklists.choices import AuditAction
from checklists.models.case import Case, CaseStep
from checklists.models.sealing import audit_key, audit_key_id, canonical_json


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only: they cannot be deleted.")


class AuditEvent(models.Model):
    """One change to a case. Append-only, and chained: each event's hash is an HMAC, under a
    key held outside the database, over the event and the hash of the one before it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="audit_events")
    seq = models.PositiveIntegerField(help_text="Position in the case's chain, from 1.")
    step = models.ForeignKey(
        CaseStep, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(
        max_length=32,
        default=audit_key_id,
        help_text="Which audit key sealed the hash (settings.AUDIT_KEYS); the key is never stored.",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="audit_unique_seq_per_case"),
        ]

    def __str__(self) -> str:
        return f"Case {self.case_id} #{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only: they cannot be deleted.")

    def compute_hash(self) -> str:
        """HMAC-SHA-256, under the audit key ``key_id`` names, of a canonical JSON of the event
        and the previous event's hash. Raises ``UnknownAuditKey`` for a key this server lacks."""
        payload = {
            "case": self.case_id,
            "seq": self.seq,
            "step": self.step_id,
            "actor": self.actor_id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "created_at": self.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "remote_addr": self.remote_addr,
            "user_agent": self.user_agent,
            "prev_hash": self.prev_hash,
            "key_id": self.key_id,
        }
        return hmac.new(audit_key(self.key_id), canonical_json(payload), hashlib.sha256).hexdigest()
