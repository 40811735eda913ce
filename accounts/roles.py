"""The roles of SI Tracker, as Django groups (first created by migration checklists 0002)."""

OR_STAFF = "OR staff"
SURGEON = "Surgeon"
REVIEWER = "Reviewer"
ADMINISTRATOR = "Administrator"

ROLES = (OR_STAFF, SURGEON, REVIEWER, ADMINISTRATOR)
