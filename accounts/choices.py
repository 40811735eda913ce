from django.db import models


class DeviceKind(models.TextChoices):
    """What an enrolled device is for. Only the tablet for now; the room's wall display comes
    next, as another kind of the same enrolment."""

    SWITCH_TABLET = "switch_tablet", "Tablet for the quick user switch"
