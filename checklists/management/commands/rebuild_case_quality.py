"""python manage.py rebuild_case_quality: write every closed case's quality facts again."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from checklists import quality, summary


class Command(BaseCommand):
    help = (
        "Write the quality facts of every closed case (signed out or cancelled) again from its "
        "Time Outs, Stops and steps, replacing those kept: how the Time Out was performed, the "
        "Stops, Time Outs repeated, and whether the checklist was recorded after the fact. The "
        "workflow writes them as cases close; run this after restoring cases from elsewhere, "
        "or after a change to their rules (checklists.quality). Safe while the application "
        "runs: a case closing meanwhile has its facts written once. The dashboard's counts, "
        "which include the facts, are then counted again (rebuild_case_counts)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = quality.rebuild()
        summary.rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote the quality facts of {written} closed cases in {elapsed:.1f} s."
            )
        )
