"""Fixtures shared by the checklist tests. A file whose tests need another procedure, side or
state defines its own ``case``, which takes precedence over this one in that file."""

import pytest

from tests.checklists.checklist_html import mi_procedure
from tests.conftest import make_case


@pytest.fixture
def case(nurse, surgeon):
    """A bilateral case of the seeded minimally invasive SI fusion, nothing recorded yet."""
    return make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="bilateral")
