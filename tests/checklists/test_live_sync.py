import re

import pytest

from checklists import workflow
from checklists.views import case_version
from tests.checklists.checklist_html import (
    ALLERGY,
    CONSENT,
    IDENTITY,
    INCISION,
    content,
    out_of_band_ids,
    row,
    step_of,
    text,
)
from tests.conftest import PASSWORD, make_case, make_procedure, record

HTMX = {"HX-Request": "true"}
# The session, the user, their permissions (one query: accounts.backends), the case's version.
NOT_MODIFIED_QUERIES = 4


def poller(html: str) -> dict[str, str]:
    """What the page's poll element asks: its URL, the ETag it sends, the point it last saw."""
    element = re.search(r'<div id="live-sync".*?</div>', html, re.DOTALL).group(0)
    return {
        "url": re.search(r'hx-get="([^"]+)"', element).group(1),
        "trigger": re.search(r'hx-trigger="([^"]+)"', element).group(1),
        "etag": re.search(r'"If-None-Match": "\\"([^\\]+)\\""', element).group(1),
        "since": re.search(r'name="since" value="(\d+)"', element).group(1),
    }


def poll(client, html: str):
    """The request htmx makes: the page's ``since`` (hx-include) and its ETag."""
    sent = poller(html)
    headers = {**HTMX, "If-None-Match": f'"{sent["etag"]}"'}
    return client.get(sent["url"], {"since": sent["since"]}, headers=headers)


def page(client, case) -> str:
    return content(client.get(f"/cases/{case.pk}/"))


def test_the_page_polls_its_version_every_three_seconds(client, nurse, case):
    client.force_login(nurse)

    html = page(client, case)
    sent = poller(html)

    assert sent["trigger"] == "every 3s"
    assert sent["url"] == f"/cases/{case.pk}/version"
    assert sent["etag"] == f"case-{case.pk}-v{case.version}"
    assert sent["since"] == str(case.audit_seq)
    assert 'hx-include="#live-sync-since"' in html


def test_it_answers_304_while_nothing_changed(client, nurse, case):
    client.force_login(nurse)

    response = poll(client, page(client, case))

    assert response.status_code == 304
    assert response.content == b""


def test_the_304_costs_one_query_beyond_the_login(
    client, nurse, case, django_assert_max_num_queries
):
    client.force_login(nurse)
    html = page(client, case)

    with django_assert_max_num_queries(NOT_MODIFIED_QUERIES):
        assert poll(client, html).status_code == 304


def test_a_tick_on_another_tablet_comes_back_as_that_row_only(client, nurse, scrub, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    html = page(client, case)
    record(case, ALLERGY, scrub, value="no")  # the other tablet

    response = poll(client, html)

    assert response.status_code == 200
    answer = content(response)
    allergy = step_of(case, ALLERGY)
    assert [name for name in out_of_band_ids(answer) if name.startswith("step-")] == [
        f"step-{allergy.pk}"
    ]
    assert "Recorded by Sam Scrub" in text(row(answer, allergy))
    assert "case-summary" in out_of_band_ids(answer)
    assert "phase-progress-sign_in" in out_of_band_ids(answer)


def test_the_answer_carries_the_new_version_for_the_next_poll(client, nurse, scrub, case):
    client.force_login(nurse)
    html = page(client, case)
    record(case, IDENTITY, scrub)

    answer = content(poll(client, html))

    case.refresh_from_db()
    assert "live-sync" in out_of_band_ids(answer)
    assert poller(answer)["since"] == str(case.audit_seq)
    assert poll(client, answer).status_code == 304


def test_a_changed_hard_stop_also_brings_the_rows_it_gates(client, nurse, scrub, case):
    client.force_login(nurse)
    html = page(client, case)
    record(case, IDENTITY, scrub)

    answer = content(poll(client, html))

    refreshed = out_of_band_ids(answer)
    assert f"step-{step_of(case, CONSENT).pk}" in refreshed
    assert f"step-{step_of(case, INCISION, 'left').pk}" in refreshed
    assert "disabled" not in row(answer, step_of(case, CONSENT))


def test_an_implant_logged_elsewhere_refreshes_the_implant_list(client, nurse, scrub, case):
    client.force_login(nurse)
    html = page(client, case)
    entry = workflow.ImplantEntry(side="left", product="iFuse-3D")
    workflow.add_implant(actor=scrub, case_id=case.pk, entry=entry)

    answer = content(poll(client, html))

    assert {"implant-list-left", "implant-list-right"} <= set(out_of_band_ids(answer))
    assert "implant-form-left" not in answer  # what someone is typing stays
    assert "Left side: 1 implant" in text(answer)


def test_a_sign_out_elsewhere_refreshes_everything_and_stops_the_polling(client, nurse, surgeon):
    small = make_case(make_procedure({"title": "Count correct"}), actor=nurse, surgeon=surgeon)
    record(small, "Count correct", nurse)
    client.force_login(nurse)
    html = page(client, small)
    workflow.sign_out(actor=surgeon, case_id=small.pk, password=PASSWORD)

    answer = content(poll(client, html))

    assert f"step-{small.steps.get().pk}" in out_of_band_ids(answer)
    assert "case-notice" in out_of_band_ids(answer)
    assert "Signed by the surgeon and locked" in text(answer)
    assert "hx-post" not in answer
    assert "hx-trigger" not in answer


def test_an_unknown_last_seen_point_brings_every_row(client, nurse, case):
    client.force_login(nurse)

    response = client.get(f"/cases/{case.pk}/version?since=nonsense", headers=HTMX)

    assert response.status_code == 200
    rows = [name for name in out_of_band_ids(content(response)) if name.startswith("step-")]
    assert len(rows) == 40


def test_without_htmx_it_answers_the_version_as_json_with_an_etag(client, nurse, case):
    client.force_login(nurse)

    response = client.get(f"/cases/{case.pk}/version")

    assert response.json() == {"case": case.pk, "version": case.version}
    assert response["ETag"] == f'"case-{case.pk}-v{case.version}"'
    assert "no-cache" in response["Cache-Control"]
    assert (
        client.get(
            f"/cases/{case.pk}/version", headers={"If-None-Match": response["ETag"]}
        ).status_code
        == 304
    )


@pytest.mark.parametrize("case_id", [999999, 0, 2**63 - 1, 2**63, 2**70])
def test_an_unknown_case_is_not_found(client, nurse, case_id):
    client.force_login(nurse)

    assert client.get(f"/cases/{case_id}/version", headers=HTMX).status_code == 404
    assert client.get(f"/cases/{case_id}/version").status_code == 404


def test_it_needs_the_right_to_see_cases(client, reviewer, case, django_user_model):
    nobody = django_user_model.objects.create_user("visitor", password=PASSWORD)
    client.force_login(nobody)
    assert client.get(f"/cases/{case.pk}/version", headers=HTMX).status_code == 403
    client.force_login(reviewer)
    assert client.get(f"/cases/{case.pk}/version", headers=HTMX).status_code == 200


def test_polling_does_not_count_as_activity_on_the_tablet():
    # The automatic logoff must not be held off by the page's own timer.
    assert case_version.passive_request is True
