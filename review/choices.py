from django.db import models


class Compliance(models.TextChoices):
    """The review list's compliance filter."""

    COMPLIANT = "compliant", "Compliant (required steps complete, Time Out before incision)"
    NOT_COMPLIANT = "not_compliant", "Not compliant (any problem)"
    REQUIRED_MISSING = "required_missing", "Required steps missing"
    TIME_OUT_LATE = "time_out_late", "Time Out not recorded before incision"


class YesNo(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class ExportRows(models.TextChoices):
    CASES = "cases", "One row per case"
    STEPS = "steps", "One row per step"
