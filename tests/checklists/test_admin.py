"""The admin shows cases and their audit trail and offers no way to change them.

Cases are made straight with the ORM, not through checklists.workflow: these tests look at the
admin, and need only a few plain rows to look at.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.choices import AuditAction, CaseStatus, Laterality
from checklists.models import AuditEvent, Case, CaseStep
from procedures.choices import Phase, StepKind, StepRole
from procedures.models import Procedure
from tests.conftest import make_procedure

MRN = "MRN-4711-0815"
PATIENT_NAME = "Hermione Quartermaine"


@pytest.fixture
def procedure(db) -> Procedure:
    return make_procedure()


def make_case_row(*, procedure: Procedure, surgeon, room: str = "OR 3", days: int = 0) -> Case:
    now = timezone.now()
    return Case.objects.create(
        patient_mrn=MRN,
        patient_name=PATIENT_NAME,
        patient_birth_date=datetime.date(1961, 4, 2),
        procedure=procedure,
        procedure_version=procedure.published_version(),
        laterality=Laterality.LEFT,
        surgeon=surgeon,
        room=room,
        scheduled_start=now + datetime.timedelta(days=days),
        created_by=surgeon,
        created_at=now,
    )


@pytest.fixture
def case(procedure, surgeon) -> Case:
    case = make_case_row(procedure=procedure, surgeon=surgeon)
    for position, (phase, title) in enumerate(
        [(Phase.SIGN_IN, "Patient identity confirmed"), (Phase.TIME_OUT, "Site marked")], start=1
    ):
        CaseStep.objects.create(
            case=case,
            position=position,
            phase=phase,
            title=title,
            required=True,
            hard_stop=False,
            role=StepRole.NURSE,
            kind=StepKind.CHECK,
        )
    AuditEvent.objects.create(
        case=case,
        seq=1,
        actor=surgeon,
        action=AuditAction.CASE_CREATED,
        created_at=timezone.now(),
        hash="0" * 64,
    )
    return case


def test_it_lists_cases(administrator_client, case):
    response = administrator_client.get(reverse("admin:checklists_case_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [case]


def test_it_keeps_patient_identity_off_the_case_list(administrator_client, case):
    response = administrator_client.get(reverse("admin:checklists_case_changelist"))

    assert MRN not in response.text
    assert PATIENT_NAME not in response.text
    assert not response.context["cl"].search_fields


def test_it_shows_a_case_with_its_steps_read_only(administrator_client, case):
    response = administrator_client.get(reverse("admin:checklists_case_change", args=[case.pk]))

    assert response.status_code == 200
    assert "Patient identity confirmed" in response.text
    assert 'name="_save"' not in response.text
    assert 'name="room"' not in response.text
    assert 'name="steps-0-title"' not in response.text
    assert 'name="steps-0-DELETE"' not in response.text


def test_it_offers_no_add_button_and_refuses_the_add_page(administrator_client, case):
    changelist = administrator_client.get(reverse("admin:checklists_case_changelist"))
    add_url = reverse("admin:checklists_case_add")

    assert add_url not in changelist.text
    assert administrator_client.get(add_url).status_code == 403
    assert administrator_client.post(add_url, {"room": "OR 9"}).status_code == 403
    assert Case.objects.count() == 1


def test_it_changes_nothing_when_the_change_form_is_posted(administrator_client, case):
    response = administrator_client.post(
        reverse("admin:checklists_case_change", args=[case.pk]),
        {"room": "OR 9", "status": CaseStatus.CANCELLED, "cancel_reason": "tampered"},
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.room, case.status) == ("OR 3", CaseStatus.SCHEDULED)


def test_it_refuses_the_delete_page(administrator_client, case):
    delete_url = reverse("admin:checklists_case_delete", args=[case.pk])

    assert administrator_client.get(delete_url).status_code == 403
    assert administrator_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def test_it_offers_no_bulk_actions(administrator_client, case):
    changelist_url = reverse("admin:checklists_case_changelist")

    assert administrator_client.get(changelist_url).context["action_form"] is None
    administrator_client.post(
        changelist_url,
        {"action": "delete_selected", "_selected_action": [case.pk], "index": 0, "post": "yes"},
    )
    assert Case.objects.filter(pk=case.pk).exists()


def test_it_lists_cases_in_the_same_number_of_queries_for_one_or_twenty(
    administrator_client, case, procedure, surgeon, django_assert_max_num_queries
):
    changelist_url = reverse("admin:checklists_case_changelist")
    with django_assert_max_num_queries(50) as one_case:
        administrator_client.get(changelist_url)

    for day in range(1, 20):
        make_case_row(procedure=procedure, surgeon=surgeon, room=f"OR {day % 4}", days=day)
    with django_assert_max_num_queries(len(one_case)):
        response = administrator_client.get(changelist_url)

    assert response.context["cl"].result_count == 20


def test_it_lists_audit_events(administrator_client, case):
    response = administrator_client.get(reverse("admin:checklists_auditevent_changelist"))

    assert response.status_code == 200
    assert [event.action for event in response.context["cl"].result_list] == [
        AuditAction.CASE_CREATED
    ]


def test_it_shows_an_audit_event_and_refuses_to_change_or_delete_it(administrator_client, case):
    event = case.audit_events.get()
    change_url = reverse("admin:checklists_auditevent_change", args=[event.pk])

    assert administrator_client.get(change_url).status_code == 200
    assert (
        administrator_client.post(change_url, {"action": AuditAction.REVIEWED}).status_code == 403
    )
    delete_url = reverse("admin:checklists_auditevent_delete", args=[event.pk])
    assert administrator_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert administrator_client.get(reverse("admin:checklists_auditevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.action == AuditAction.CASE_CREATED


def test_the_catalogue_keeper_lists_the_implants_whose_gtin_the_catalogue_does_not_know(
    administrator_client, nurse, surgeon, device_catalogue
):
    from checklists import workflow
    from tests.checklists.checklist_html import mi_procedure
    from tests.conftest import make_case

    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    for udi, product in (
        ("(01)00812345678901(10)L1(21)S1", ""),
        ("(01)00987654321005(10)L2(21)S2", "Local fusion screw"),
        ("", "Hand-typed washer"),
    ):
        entry = workflow.ImplantEntry(side="left", udi=udi, product=product)
        workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)

    unknown = administrator_client.get("/admin/checklists/implant/", {"catalogue": "unknown"})
    typed = administrator_client.get("/admin/checklists/implant/", {"catalogue": "none"})

    assert unknown.status_code == 200
    listed = unknown.content.decode()
    assert "00987654321005" in listed and "Local fusion screw" in listed
    assert "Exemplar" not in listed and "Hand-typed washer" not in listed
    assert case.patient_mrn not in listed and case.patient_name not in listed
    assert "Hand-typed washer" in typed.content.decode()
