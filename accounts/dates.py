"""The dates a hospital can have cases on, and where a day begins in its time zone."""

import datetime

from django.utils import timezone

# The board and its links cover the dates a hospital can have cases on; anything else is a typo
# (and date arithmetic on the extremes, 9999-12-31 plus a day, would overflow).
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
OLDEST_PATIENT_YEARS = 130


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The moment ``day`` begins in the hospital's time zone."""
    # Built per day rather than start + 24 h: a day with a clock change is 23 or 25 hours long.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
