from django.db import models


class Compliance(models.TextChoices):
    """The review list's compliance filter."""

    COMPLIANT = "compliant", "Compliant (required steps complete, Time Out before incision)"
    NOT_COMPLIANT = "not_compliant", "Not compliant (any problem)"
    REQUIRED_MISSING = "required_missing", "Required steps missing"
    TIME_OUT_LATE = "time_out_late", "Time Out not recorded before incision"


class Quality(models.TextChoices):
    """The review list's filter by how the checks were done (``checklists.quality``)."""

    TEAM_MISSING = "team_missing", "Time Out without the full team"
    ATTESTED_BADLY = (
        "attested_badly",
        "Attestation not all yes (item unspoken, absent, interrupted)",
    )
    STOPS = "stops", "Stops called"
    REPEATED = "repeated", "Time Out repeated"
    AFTER_THE_FACT = "after_the_fact", "Recorded after the fact"
    NOT_READ_ALOUD = "not_read_aloud", "No Time Out read aloud with the team"


class YesNo(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class ExportRows(models.TextChoices):
    CASES = "cases", "One row per case"
    STEPS = "steps", "One row per step"
