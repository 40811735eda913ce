from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists.audit import ChainBreak, verify_audit
from checklists.audit.replay import IDENTITY_SEALED_SINCE


class Command(BaseCommand):
    help = (
        "Prove every case's audit chain, then replay it against the live rows (the case's "
        "scheduling, patient identity and status; every step, implant and signature). Exits "
        "non-zero naming each broken case and where it first differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--case", type=int, action="append", help="Only this case (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        case_ids = options["case"]
        verdict = verify_audit(case_ids=case_ids)
        if case_ids and verdict.cases == 0:
            raise CommandError("No such case.")

        for problem in verdict.problems:
            label = "BROKEN" if isinstance(problem, ChainBreak) else "DIFFERS"
            self.stderr.write(f"{label} {problem}")
        if verdict.identity_unsealed:
            self.stdout.write(
                f"{verdict.identity_unsealed} of {verdict.cases} cases: identity not covered by "
                f"the chain (created before {IDENTITY_SEALED_SINCE}); a signed one is still "
                "covered by its signature."
            )

        broken = {problem.case_id for problem in verdict.problems}
        if broken:
            raise CommandError(
                f"Audit trail does not verify: {len(broken)} of {verdict.cases} cases broken "
                f"({len(verdict.breaks)} by their chain, {len(verdict.differences)} by their "
                "rows)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail verified: {verdict.cases} cases, {verdict.events} events, no "
                "breaks; the live rows match their chains."
            )
        )
