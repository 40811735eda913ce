from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists.audit import ChainBreak, verify_audit
from checklists.audit.digest import DigestError, DigestVerdict, check_digest
from checklists.audit.replay import IDENTITY_SEALED_SINCE


class Command(BaseCommand):
    help = (
        "Prove every case's audit chain, then replay it against the live rows (the case's "
        "scheduling, patient identity and status; every step, implant and signature); with "
        "--digest, also check a digest kept from `manage.py audit_digest`. Exits non-zero "
        "naming each broken case and where it first differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--case", type=int, action="append", help="Only this case (repeatable)."
        )
        parser.add_argument(
            "--digest",
            metavar="FILE",
            help="A digest printed by audit_digest: each head it kept must still be in its chain.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        case_ids = options["case"]
        verdict = verify_audit(case_ids=case_ids)
        if case_ids and verdict.cases == 0:
            raise CommandError("No such case.")
        digest = self._check_digest(options["digest"], case_ids) if options["digest"] else None

        for problem in verdict.problems:
            label = "BROKEN" if isinstance(problem, ChainBreak) else "DIFFERS"
            self.stderr.write(f"{label} {problem}")
        if digest:
            for line in [*map(str, digest.mismatches), *digest.problems]:
                self.stderr.write(f"DIGEST {line}")
        for line in self._counts(verdict.cases, verdict.identity_unsealed, digest):
            self.stdout.write(line)

        broken = {problem.case_id for problem in verdict.problems}
        broken |= {mismatch.case_id for mismatch in digest.mismatches} if digest else set()
        if broken or (digest and not digest.ok):
            kinds = [
                f"{len(verdict.breaks)} by their chain",
                f"{len(verdict.differences)} by their rows",
                *([f"{len(digest.mismatches)} by the digest"] if digest else []),
            ]
            raise CommandError(
                f"Audit trail does not verify: {len(broken)} of {verdict.cases} cases broken "
                f"({', '.join(kinds)})"
                + ("; the digest itself does not verify." if digest and digest.problems else ".")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail verified: {verdict.cases} cases, {verdict.events} events, no "
                "breaks; the live rows match their chains."
            )
        )

    def _check_digest(self, path: str, case_ids: list[int] | None) -> DigestVerdict:
        try:
            with open(path, encoding="utf-8") as lines:
                return check_digest(lines, case_ids=case_ids)
        except (OSError, UnicodeDecodeError, DigestError) as error:
            raise CommandError(f"The digest cannot be read: {error}") from None

    def _counts(self, cases: int, unsealed: int, digest: DigestVerdict | None) -> list[str]:
        lines = []
        if unsealed:
            lines.append(
                f"{unsealed} of {cases} cases: identity not covered by the chain (created "
                f"before {IDENTITY_SEALED_SINCE}); a signed one is still covered by its "
                "signature."
            )
        if digest:
            moved = len(digest.mismatches)
            lines.append(
                f"Digest of {digest.date} (key {digest.key_id}): {digest.kept} kept heads "
                f"checked, {moved} no longer in their chains."
            )
        return lines
