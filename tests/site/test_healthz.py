from django.db import OperationalError

from sitracker import views


class DeadConnection:
    """Stands in for a database server that has gone away (outside I/O, so a fake is fair)."""

    def cursor(self):
        raise OperationalError("connection refused by db-host-7")


def test_it_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_needs_no_login(client, db):
    assert client.get("/healthz").status_code == 200


def test_it_answers_503_without_details_when_the_database_does_not(client, db, monkeypatch):
    monkeypatch.setattr(views, "connection", DeadConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert b"db-host-7" not in response.content


def test_it_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405
