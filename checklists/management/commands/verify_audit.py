from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists.audit import verify_chains


class Command(BaseCommand):
    help = "Recompute every case's audit hash chain; exit non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--case", type=int, action="append", help="Only this case (repeatable)."
        )

    def handle(self, *args, **options) -> None:
        verdict = verify_chains(case_ids=options["case"])
        if options["case"] and verdict.cases == 0:
            raise CommandError("No such case.")
        for chain_break in verdict.breaks:
            self.stderr.write(f"BROKEN {chain_break}")
        if not verdict.ok:
            broken = len(verdict.breaks)
            raise CommandError(f"Audit trail does not verify: {broken} of {verdict.cases} broken.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail verified: {verdict.cases} cases, {verdict.events} events, no breaks."
            )
        )
