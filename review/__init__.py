"""Review and reporting: completed cases for reviewers, the full record, exports, compliance.

A separate app from ``checklists`` on purpose:

- a different audience: reviewers and quality leads at a desktop, not OR staff at a tablet;
- read-only over cases: the only change a reviewer makes is "Mark reviewed", and that goes
  through ``checklists.workflow.mark_reviewed`` like every other change to a case;
- its own model, ``RecordAccess``: who viewed, listed or exported which records (HIPAA audit
  controls), append-only like ``checklists.AuditEvent`` but about reading, not changing.
"""
