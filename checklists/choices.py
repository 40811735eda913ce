from django.db import models


class Laterality(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"
    # A general operation with no side to confirm (the WHO template for any procedure): only
    # for a procedure whose steps never ask for a side (``ProcedureVersion.asks_for_side``).
    NONE = "none", "No side"


# The sides an operation on a side is done on: what a procedure that asks for a side takes.
SIDED: tuple[str, ...] = (Laterality.LEFT, Laterality.RIGHT, Laterality.BILATERAL)


class Side(models.TextChoices):
    """The side a per-side step or an implant belongs to."""

    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class UdiEntry(models.TextChoices):
    """How an implant's identifiers came in (FHIR's ``Device.udiCarrier.entryType``)."""

    BARCODE = "barcode", "Scanned (barcode)"
    MANUAL = "manual", "Typed"


class UdiCarrier(models.TextChoices):
    """The form of an implant's UDI as received: what a scanner reads (AIDC, FHIR's
    ``carrierAIDC``) or the human-readable text printed under the barcode (HRF,
    ``carrierHRF``)."""

    AIDC = "aidc", "Barcode data (AIDC)"
    HRF = "hrf", "Human-readable text (HRF)"


class ImplantStatus(models.TextChoices):
    """An implant's lifecycle (``Implant.status``)."""

    IMPLANTED = "implanted", "Implanted"
    WASTED = "wasted", "Opened, not implanted"
    EXPLANTED = "explanted", "Explanted"


class CaseStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    REVIEWED = "reviewed", "Reviewed"
    CANCELLED = "cancelled", "Cancelled"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    NOT_APPLICABLE = "na", "Not applicable"


class Gate(models.TextChoices):
    """Why a step, as it stands, holds later steps back (``CaseStep.gate``)."""

    HARD_STOP = "hard_stop", "Hard stop"  # pending: every later step of its side waits
    PHASE = "phase", "Gating phase"  # required and pending: the later phases wait
    STOP = "stop", "Stop"  # an expected answer not given: the later phases wait


class SignatureMeaning(models.TextChoices):
    SIGN_OUT = "sign_out", "Case signed out by surgeon"
    AMENDMENT = "amendment", "Amendment to a signed case, approved by surgeon"


class AuditAction(models.TextChoices):
    CASE_CREATED = "case_created", "Case scheduled"
    STEP_RECORDED = "step_recorded", "Step recorded"
    STEP_AMENDED = "step_amended", "Step amended after sign-out"
    IMPLANT_ADDED = "implant_added", "Implant added"
    IMPLANT_REMOVED = "implant_removed", "Implant removed"
    IMPLANT_WASTED = "implant_wasted", "Implant opened, not implanted"
    IMPLANT_EXPLANTED = "implant_explanted", "Implant explanted"
    IMPLANT_READ_BACK = "implant_read_back", "Implant read back before opening"
    SIGNED_OUT = "signed_out", "Case signed out"
    SIGNATURE_REFUSED = "signature_refused", "Signature refused (wrong password)"
    REVIEWED = "reviewed", "Case reviewed"
    CANCELLED = "cancelled", "Case cancelled"
    STOP_OVERRIDDEN = "stop_overridden", "Stop overridden by surgeon"
    CONCERN_RAISED = "concern_raised", "Stop called by the team"
    CONCERN_RESOLVED = "concern_resolved", "Stop called by the team resolved"
    DEBRIEF_ACTION_ADDED = "debrief_action_added", "Debrief action added"
    DEBRIEF_ACTION_CLOSED = "debrief_action_closed", "Debrief action closed"
    CASE_RESCHEDULED = "case_rescheduled", "Case moved (time or room) by the theatre list"
    SIDE_DISAGREEMENT_RAISED = "side_disagreement_raised", "Sides disagree: case held"
    SIDE_DISAGREEMENT_RESOLVED = "side_disagreement_resolved", "Side disagreement resolved"
    SURGEON_CHANGED = "surgeon_changed", "Surgeon changed"
    TIME_OUT_STARTED = "time_out_started", "Time Out started"
    TIME_OUT_ENDED = "time_out_ended", "Time Out ended, team and attestations recorded"
    TIME_OUT_INVALIDATED = "time_out_invalidated", "Time Out no longer holds"


class AccessAction(models.TextChoices):
    """What a person did that showed them case records (reading only: changes are in the audit
    trail). Each page showing a patient's name or MRN writes one of these per view."""

    LIST = "list", "Listed cases"
    VIEW = "view", "Viewed the review record"
    EXPORT = "export", "Exported cases"
    DOWNLOAD = "download", "Downloaded a record (PDF)"
    CHECKLIST = "checklist", "Opened the checklist"
    SIGN_OUT = "sign_out", "Opened the sign-out page"
    ADMIN = "admin", "Viewed the case in the admin"
    EMERGENCY = "emergency", "Emergency access to the review record"
    WALL_DISPLAY = "wall_display", "Shown on the room's wall display"
    RECALL = "recall", "Looked up a recall"
    RECALL_EXPORT = "recall_export", "Exported a recall look-up"
    # An integration's token (its service user is the "who"), through the REST API.
    API_LIST = "api_list", "Listed cases through the API"
    API_READ = "api_read", "Read a case through the API"
    IMPLANT_CARD = "implant_card", "Printed the patient's implant card (PDF)"


# Statuses in which the checklist itself may change (a completed case changes only by amendment).
OPEN_STATUSES = (CaseStatus.SCHEDULED, CaseStatus.IN_PROGRESS)
# A case signed out by its surgeon (and perhaps reviewed since).
SIGNED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.REVIEWED)


class Measure(models.TextChoices):
    """What the dashboard's medians and 90th percentiles are of (``SpreadCount``), each kept
    as a whole number: minutes rounded to the nearest (halves up), the Time Out in seconds."""

    TIME_OUT_TO_INCISION = "time_out_to_incision", "Time Out to incision (minutes)"
    DURATION = "duration", "Case duration (minutes)"
    TIME_OUT = "time_out", "Time Out duration (seconds)"
