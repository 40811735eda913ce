"""Review and reporting: completed cases for reviewers, the full record, exports, compliance.

A separate app from ``checklists`` on purpose:

- a different audience: reviewers and quality leads at a desktop, not OR staff at a tablet;
- read-only over cases: the only change a reviewer makes is "Mark reviewed", and that goes
  through ``checklists.workflow.mark_reviewed`` like every other change to a case;
- it reads under the access log (``checklists.RecordAccess``, written through
  ``checklists.access``, which every page showing a patient's identity uses), and lists who
  viewed each case on its record;
- its own model, ``EmergencyAccess``: a case's record opened, for a reason and a short while, to
  someone whose role does not read records ("break-glass", ``review.emergency``).
"""
