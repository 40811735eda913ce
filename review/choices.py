from django.db import models


class AccessAction(models.TextChoices):
    """What a person did with case records (reading only: changes are in the audit trail)."""

    LIST = "list", "Listed cases"
    VIEW = "view", "Viewed a record"
    EXPORT = "export", "Exported cases"
    DOWNLOAD = "download", "Downloaded a record (PDF)"


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
