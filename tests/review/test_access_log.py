import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from checklists.models import RecordAccess
from tests.review.conftest import signed_out

LIST = reverse("review:case-list")
ADMIN_LOG = reverse("admin:checklists_recordaccess_changelist")


@pytest.fixture
def case(procedure, nurse, surgeon):
    return signed_out(procedure, nurse=nurse, surgeon=surgeon)


def only_entry() -> RecordAccess:
    [entry] = RecordAccess.objects.all()
    return entry


def test_viewing_a_record_is_logged_with_who_what_and_when(logged_in, reviewer, case):
    logged_in.get(reverse("review:record", args=[case.pk]), HTTP_USER_AGENT="Firefox")
    entry = only_entry()
    assert (entry.user, entry.case, entry.action) == (reviewer, case, "view")
    assert (entry.remote_addr, entry.user_agent) == ("127.0.0.1", "Firefox")
    assert entry.at is not None


def test_listing_is_logged_with_its_filters(logged_in, reviewer, case, surgeon):
    logged_in.get(LIST, {"surgeon": surgeon.pk, "room": "OR 3", "sort": "-room"})
    entry = only_entry()
    assert (entry.user, entry.case, entry.action) == (reviewer, None, "list")
    assert entry.filters == f"surgeon={surgeon.pk}; room=OR 3; sort=-room"


def test_an_export_is_logged_with_its_rows_and_filters(logged_in, case):
    response = logged_in.get(reverse("review:export"), {"rows": "steps", "status": "completed"})
    b"".join(response.streaming_content)
    entry = only_entry()
    assert (entry.action, entry.filters) == ("export", "rows=steps; status=completed")


def test_an_mrn_search_is_logged_without_the_mrn(logged_in, case):
    logged_in.post(reverse("review:mrn-search"), {"mrn": "MRN0042"})
    logged_in.get(LIST, {"mrn": "held"})
    b"".join(logged_in.get(reverse("review:export"), {"mrn": "held"}).streaming_content)
    for entry in RecordAccess.objects.all():
        assert "MRN0042" not in entry.filters
        assert "MRN search (MRN not logged)" in entry.filters


def test_a_refused_request_is_not_logged_as_an_access(client, nurse, case):
    client.force_login(nurse)
    client.get(reverse("review:record", args=[case.pk]))
    assert not RecordAccess.objects.exists()


def test_the_log_is_append_only(logged_in, case):
    logged_in.get(reverse("review:record", args=[case.pk]))
    entry = only_entry()
    entry.filters = "changed"
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        RecordAccess.objects.update(filters="")
    with pytest.raises(TypeError, match="append-only"):
        RecordAccess.objects.all().delete()
    assert only_entry().filters == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_on_postgresql_the_database_refuses_to_rewrite_the_log(logged_in, case):
    logged_in.get(reverse("review:record", args=[case.pk]))
    table = RecordAccess._meta.db_table
    for sql in (f"UPDATE {table} SET filters = 'x'", f"DELETE FROM {table}"):  # noqa: S608
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert only_entry().filters == ""


def test_administrators_read_the_log_in_the_admin(client, administrator, reviewer, case):
    client.force_login(reviewer)
    client.get(reverse("review:record", args=[case.pk]))
    client.force_login(administrator)

    page = client.get(ADMIN_LOG)

    assert page.status_code == 200
    assert "Viewed the review record" in page.content.decode()
    assert "Rae Reviewer" in page.content.decode() or "reviewer" in page.content.decode()
    assert "Review and reporting" in client.get(reverse("admin:index")).content.decode()


def test_nobody_adds_changes_or_deletes_entries_in_the_admin(client, administrator, reviewer, case):
    client.force_login(reviewer)
    client.get(reverse("review:record", args=[case.pk]))
    entry = only_entry()
    client.force_login(administrator)

    assert client.get(reverse("admin:checklists_recordaccess_add")).status_code == 403
    assert (
        client.post(reverse("admin:checklists_recordaccess_delete", args=[entry.pk])).status_code
        == 403
    )
    detail = client.get(reverse("admin:checklists_recordaccess_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


@pytest.mark.parametrize("persona", ["reviewer", "nurse"])
def test_others_cannot_read_the_log_in_the_admin(client, db, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(ADMIN_LOG)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
