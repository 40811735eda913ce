"""What seals a record: the audit keys (held outside the database) and the canonical JSON that
hashes are computed over. No models here, so that both the case and the audit trail can use it."""

import hashlib
import json
from typing import Any

from django.conf import settings


def audit_key_id() -> str:
    """The key that seals new audit events: the first of ``settings.AUDIT_KEYS``."""
    return settings.AUDIT_KEY_ID


class UnknownAuditKey(LookupError):
    """An event names an audit key this server does not hold."""


def audit_key(key_id: str) -> bytes:
    """The secret of the audit key ``key_id``; ``UnknownAuditKey`` if this server lacks it."""
    key = settings.AUDIT_KEYS.get(key_id)
    if key is None:
        raise UnknownAuditKey(key_id)
    return key


def canonical_json(payload: Any) -> bytes:
    """One byte string per value, whatever the dict order: what hashes are computed over."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_json(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()
