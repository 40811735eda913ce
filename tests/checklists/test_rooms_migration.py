"""Rooms were free text on each case until checklists 0019 made one ``accounts.Room`` per name
the cases use, in use, so that the new-case form offers them."""

from accounts.models import Room
from tests.checklists.checklist_html import mi_procedure
from tests.checklists.conftest import migrate, migrate_to_latest
from tests.conftest import make_case


def test_every_room_a_case_names_becomes_a_room_in_use(reference_data, nurse, surgeon):
    for room in ("OR 2", "OR 10", "OR 2", "Hybrid theatre"):
        make_case(mi_procedure(), actor=nurse, surgeon=surgeon, room=room)
    try:
        # Before rooms were a model: the table goes, the cases keep their rooms' names.
        migrate(("checklists", "0018_access_action_download"))
        migrate(("accounts", "0008_clinical_role"))
        migrate_to_latest()

        rooms = sorted(Room.objects.values_list("name", "active"))
        assert rooms == [("Hybrid theatre", True), ("OR 10", True), ("OR 2", True)]
    finally:
        migrate_to_latest()
