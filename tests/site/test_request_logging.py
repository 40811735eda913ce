"""A refused request is one log line (sitracker.log_filters), not a traceback."""

import logging

import pytest

from tests.conftest import make_case, make_procedure


def request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


def formatted(record: logging.LogRecord) -> str:
    """As the console handler writes it (settings LOGGING), traceback included if there is one."""
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s").format(record)


def test_a_403_is_one_line_with_method_path_and_user_id(client, nurse, caplog):
    client.force_login(nurse)

    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/review/?mrn=MRN0042&surgeon=4")

    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    line = formatted(record)
    assert "\n" not in line
    assert line.endswith(f"django.request 403 Forbidden: GET /review/ (user {nurse.pk})")
    assert "MRN0042" not in line and "mrn=" not in line


def test_any_refused_request_is_one_line_and_an_anonymous_caller_is_named(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        client.post("/no-such-page/")

    [record] = request_records(caplog)
    assert formatted(record).endswith(
        "django.request 404 Not Found: POST /no-such-page/ (user anonymous)"
    )


def test_a_path_cannot_forge_a_second_log_line(client, nurse, caplog):
    client.force_login(nurse)

    with caplog.at_level(logging.INFO, logger="django.request"):
        client.get("/review/%0AFAKE%20ERROR/")

    [record] = request_records(caplog)
    assert "\n" not in formatted(record)


def test_a_server_error_keeps_its_traceback(nurse, surgeon, caplog, monkeypatch):
    from django.test import Client

    from checklists import selectors

    def broken(**kwargs):
        raise RuntimeError("the database fell over")

    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    monkeypatch.setattr(selectors, "get_case", broken)
    client = Client(raise_request_exception=False)
    client.force_login(nurse)

    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get(f"/cases/{case.pk}/").status_code == 500

    [record] = request_records(caplog)
    assert record.exc_info is not None
    assert "RuntimeError" in formatted(record)


@pytest.mark.parametrize("user", ["nurse", "reviewer"])
def test_the_admin_refusing_a_signed_in_non_staff_person_is_one_line(
    db, client, caplog, user, request
):
    person = request.getfixturevalue(user)
    client.force_login(person)

    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/admin/login/").status_code == 403

    [record] = request_records(caplog)
    assert record.exc_info is None
    assert formatted(record).endswith(f"403 Forbidden: GET /admin/login/ (user {person.pk})")
