"""Fixtures shared by the checklist tests. A file whose tests need another procedure, side or
state defines its own ``case``, which takes precedence over this one in that file."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.checklists.checklist_html import mi_procedure
from tests.conftest import make_case


@pytest.fixture
def case(nurse, surgeon):
    """A bilateral case of the seeded minimally invasive SI fusion, nothing recorded yet."""
    return make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="bilateral")


def migrate(target: tuple[str, str]) -> None:
    """Bring the test database to ``target`` (forwards or backwards), as ``migrate`` would."""
    MigrationExecutor(connection).migrate([target])


def migrate_to_latest() -> None:
    """Every app at its latest migration again: what the tests after a migration test expect."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
