"""python manage.py rebuild_case_counts: count the dashboard's figures again from the cases."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from checklists import summary


class Command(BaseCommand):
    help = (
        "Count the dashboard's day-by-day figures again from every closed case (signed out or "
        "cancelled), replacing those kept. The workflow keeps them as cases close; run this "
        "after restoring cases from elsewhere, or after changing the hospital's time zone "
        "(the days are local days). Safe while the application runs: a case closing "
        "meanwhile is counted once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        counted = summary.rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Counted {counted} closed cases again in {elapsed:.1f} s.")
        )
