import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from checklists.audit.digest import FORMAT_HELP, write_digest


class Command(BaseCommand):
    help = (
        "Print a digest of every case's audit chain head, for keeping outside the system (a "
        "signed e-mail, a ticket, a WORM store): run it daily, keep what it prints, and check "
        "a kept digest with `manage.py verify_audit --digest FILE`. Someone who holds the "
        "audit key can rewrite a chain so that it verifies, but not the digests kept "
        "elsewhere.\n\n" + FORMAT_HELP
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # The format's example lines are shown as they are, not re-wrapped.
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = write_digest(lambda line: self.stdout.write(line, ending=""), now=timezone.now())
        self.stderr.write(f"Digest printed: {counts.cases} cases, {counts.events} events.")
