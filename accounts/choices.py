from django.db import models


class ClinicalRole(models.TextChoices):
    """What a person does in theatre, and who is to confirm a checklist step
    (``procedures.choices.StepRole``, the same choices). Any member of the OR staff may record
    any step; when the person recording does not hold the step's role, the record says so
    ("recorded by Nora Nurse for the anaesthetist") rather than claiming the role."""

    NURSE = "nurse", "Circulating nurse"
    SCRUB = "scrub", "Scrub tech"
    ANAESTHETIST = "anaesthetist", "Anaesthetist"
    SURGEON = "surgeon", "Surgeon"


class DeviceKind(models.TextChoices):
    """What an enrolled device is for. Only the tablet for now; the room's wall display comes
    next, as another kind of the same enrolment."""

    SWITCH_TABLET = "switch_tablet", "Tablet for the quick user switch"
