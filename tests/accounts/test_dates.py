import datetime

from django.utils import timezone

from accounts.dates import local_midnight


def test_a_day_with_a_clock_change_is_not_24_hours_long(settings):
    settings.TIME_ZONE = "Europe/London"
    day = datetime.date(2025, 3, 30)  # clocks go forward at 01:00

    start, end = local_midnight(day), local_midnight(day + datetime.timedelta(days=1))

    # Python subtracts moments of one zone as wall-clock times: compare them in UTC.
    assert end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC) == datetime.timedelta(
        hours=23
    )
    assert timezone.localtime(start).hour == 0
