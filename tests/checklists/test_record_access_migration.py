"""RecordAccess moved from review to checklists in Django's state only (checklists 0016, review
0003): the table, its rows, its trigger, its content type and permissions all stay."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from checklists.models import RecordAccess
from tests.checklists.conftest import migrate as migrate_to
from tests.checklists.conftest import migrate_to_latest

# The last migrations before the move: undoing the move undoes what came after it too.
BEFORE_THE_MOVE = ("checklists", "0015_stop_overrides_and_phase_gates")


def content_type_ids(app_label: str) -> dict[str, int]:
    rows = ContentType.objects.filter(app_label=app_label, model="recordaccess")
    return dict(rows.values_list("model", "pk"))


def rows_in_the_table() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, action FROM review_recordaccess ORDER BY id")
        return [tuple(row) for row in cursor.fetchall()]


def test_a_database_from_before_the_move_keeps_its_log_and_permissions(reference_data, reviewer):
    RecordAccess.objects.create(user=reviewer, action="list", at=timezone.now())
    ids = content_type_ids("checklists")
    view_log = Permission.objects.get(codename="view_recordaccess").pk
    assert ids
    try:
        migrate_to(BEFORE_THE_MOVE)
        # As the database was: the content type (and so the permissions) under review.
        assert content_type_ids("review") == {"recordaccess": ids["recordaccess"]}
        assert not content_type_ids("checklists")
        assert rows_in_the_table() == [(reviewer.pk, "list")]
    finally:
        migrate_to_latest()

    assert content_type_ids("checklists") == ids
    assert not content_type_ids("review")
    assert Permission.objects.get(codename="view_recordaccess").pk == view_log
    assert list(RecordAccess.objects.values_list("user", "action")) == [(reviewer.pk, "list")]


def test_a_content_type_made_meanwhile_under_checklists_wins_over_the_stale_one(reference_data):
    try:
        migrate_to(BEFORE_THE_MOVE)
        made_meanwhile = ContentType.objects.create(app_label="checklists", model="recordaccess")
    finally:
        migrate_to_latest()

    assert content_type_ids("checklists")["recordaccess"] == made_meanwhile.pk
    assert not content_type_ids("review")
