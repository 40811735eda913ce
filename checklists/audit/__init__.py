"""Proof that the audit trail and the live rows are what the application wrote.

- ``chain``: each case's hash chain recomputed (``verify_chains``): no event altered, removed
  or reordered;
- ``replay``: each case's events folded into what its rows must be and compared with them;
- ``verify``: both, over every case in batches (``verify_audit``), or over one case's rows
  already read (``verify_case``, for the review record);
- ``digest``: every chain's head printed for keeping outside the system, and a kept digest
  checked against the chains;
- ``verdict``: what they report.

``manage.py verify_audit`` and ``manage.py audit_digest`` run them.
"""

from checklists.audit.chain import chain_break, verify_chains
from checklists.audit.verdict import ChainBreak, RowDifference, Verdict
from checklists.audit.verify import verify_audit, verify_case

__all__ = [
    "ChainBreak",
    "RowDifference",
    "Verdict",
    "chain_break",
    "verify_audit",
    "verify_case",
    "verify_chains",
]
