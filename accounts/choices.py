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
    """What an enrolled device is for: a shared tablet (its switch screen lists names), or a
    room's wall display (it shows the room's current case, and nothing else)."""

    SWITCH_TABLET = "switch_tablet", "Tablet for the quick user switch"
    WALL_DISPLAY = "wall_display", "Wall display of a room"


class ApiScope(models.TextChoices):
    """What an integration's API token may do (``accounts.tokens``). Each value is also the
    name of the token's flag for it (``ApiToken.read_cases``...)."""

    READ_CASES = "read_cases", "Read cases (patient identity included)"
    IMPORT_SCHEDULE = "import_schedule", "Import the schedule (schedule cases)"
    RECORD_STEPS = "record_steps", "Record steps and log implants"
