"""python manage.py generate_cases --count N [--seed S] [--jobs J]: history for benchmarks."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists import bulk
from checklists.bulk import parallel


class Command(BaseCommand):
    help = (
        "Insert N synthetic cases spread over the past year (several surgeons and rooms, both "
        "SI joint fusion procedures, some bilateral, amended, not applicable, cancelled), with "
        "valid audit chains. For benchmarks and demos only: it writes rows in bulk, bypassing "
        "the workflow (see checklists.bulk). Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many cases to add.")
        parser.add_argument("--seed", type=int, help="Make the same cases again.")
        parser.add_argument("--days", type=int, default=365, help="Spread over this many days.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Cases per transaction.")
        parser.add_argument(
            "--jobs",
            type=int,
            default=parallel.default_jobs(),
            help="Processes building the rows (default: one per core). The same --seed makes "
            "the same rows whatever the number.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "generate_cases writes synthetic patients and bypasses the workflow: it is for "
                "benchmarks and demos. DEBUG is off; add --force if this is not production."
            )
        count, days, batch_size = options["count"], options["days"], options["batch_size"]
        if min(count, days, batch_size, options["jobs"]) < 1:
            raise CommandError("--count, --days, --batch-size and --jobs must be at least 1.")
        started = time.perf_counter()

        def progress(made: int) -> None:
            if options["verbosity"] >= 2 or made == count:
                elapsed = time.perf_counter() - started
                self.stdout.write(f"{made} cases in {elapsed:.1f} s")

        try:
            made = bulk.generate(
                count=count,
                seed=options["seed"],
                days=days,
                batch_size=batch_size,
                jobs=options["jobs"],
                progress=progress,
            )
        except LookupError as error:
            raise CommandError(str(error)) from None
        except parallel.GenerationFailed as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {made} synthetic cases in {elapsed:.1f} s ({made / elapsed:.0f}/s)."
            )
        )
