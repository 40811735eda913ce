"""A small but complete world for the security tests: the six personas, a procedure that
exercises every rule (a hard stop, a bounded number, a must-be-yes answer, a choice, an
optional step, implants per side), cases in every state, all built through the workflow.

``module_world`` builds it once per test module inside a transaction that is rolled back
when the module ends; each test still runs in its own savepoint (pytest-django's ``db``), so
tests never see each other's writes. Hypothesis examples add one more savepoint each
(``rolled_back``), so an example never depends on what the one before it did.
"""

import contextlib
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts import pins, roles
from catalogue.choices import RecallScope
from catalogue.models import Device, Recall
from checklists import workflow
from checklists.choices import AccessAction, Side
from checklists.models import AuditEvent, Case, CaseStep, Implant, RecordAccess
from review.models import EmergencyAccess
from tests.conftest import (
    PASSWORD,
    make_case,
    make_procedure,
    make_user,
    place_implant,
    record,
    tamper,
    time_outs_before,
)

HARD_STOP = "Identity confirmed"
INCISION = "Incision length"  # number, 3–5 cm
COUNTS = "Counts correct"  # yes/no, must be yes to sign out
APPROACH = "Approach"  # choice
SPECIMENS = "Specimens labelled"  # optional
IMPLANTS = "Implants placed"  # implant log, once per side
GTIN = "00812345678901"

STEPS = (
    {"title": HARD_STOP, "phase": "sign_in", "hard_stop": True},
    {"title": INCISION, "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
    {"title": APPROACH, "kind": "choice", "options": ["Lateral", "Posterior"]},
    {"title": IMPLANTS, "kind": "implants", "per_side": True},
    {"title": COUNTS, "phase": "sign_out", "kind": "yes_no", "expected_answer": "yes"},
    {"title": SPECIMENS, "phase": "sign_out", "required": False},
)

PIN = "2580"  # the nurse's and the surgeon's quick-switch PIN

PERSONAS = ("nurse", "scrub", "anaesthetist", "surgeon", "reviewer", "administrator")
PERSONA_ROLES = {
    "nurse": roles.OR_STAFF,
    "scrub": roles.OR_STAFF,
    "anaesthetist": roles.OR_STAFF,
    "surgeon": roles.SURGEON,
    "reviewer": roles.REVIEWER,
    "administrator": roles.ADMINISTRATOR,
}


@dataclass
class World:
    people: dict[str, User]
    procedure: object
    scheduled: Case  # nothing recorded yet
    in_progress: Case  # bilateral, hard stop done, one implant on the left
    ready: Case  # every required step recorded: only the signature is missing
    completed: Case  # signed out, not yet reviewed
    other: Case  # another in-progress case, for "a step of another case"
    step: CaseStep  # a pending step of ``in_progress``
    implant: Implant  # an implant of ``in_progress``
    other_step: CaseStep  # a step of ``other``
    other_implant: Implant  # an implant of ``other``
    audit_event: AuditEvent
    access: RecordAccess
    emergency: EmergencyAccess  # the scrub's, on ``completed``: over, not yet signed off
    device: Device  # the catalogue's entry for ``GTIN``
    recall: Recall  # of ``GTIN``'s lot OLD
    unknown_case_id: int

    def __getattr__(self, name: str) -> User:
        """``world.nurse``, ``world.surgeon``...: the personas by name."""
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def implant_entry(side: str = Side.LEFT, **fields) -> workflow.ImplantEntry:
    values = {"manufacturer": "SI-Bone", "product": "iFuse-3D", "size": "7.0 x 45", "lot": "L1"}
    return workflow.ImplantEntry(side=side, **{**values, **fields})


def add_implant(case: Case, actor: User, side: str = Side.LEFT) -> Implant:
    """An implant logged and read back: placed."""
    return place_implant(case, actor, implant_entry(side))


def make_ready(case: Case, nurse: User, surgeon: User) -> Case:
    """Work ``case`` through every required step, up to the signature; the Time Outs read aloud
    where its checklist's Time Out gates the procedure (``time_outs_before``)."""

    def record_gated(title: str, actor: User, *, side: str = "", **answer: str) -> None:
        time_outs_before(case, case.steps.get(title=title, side=side), nurse)
        record(case, title, actor, side=side, **answer)

    record(case, HARD_STOP, nurse)
    record_gated(INCISION, surgeon, value="4")
    record_gated(APPROACH, surgeon, value="Lateral")
    for side in case.sides():
        if not case.implants.filter(side=side).exists():
            add_implant(case, nurse, side)
        record_gated(IMPLANTS, nurse, side=side)
    record(case, COUNTS, nurse, value="yes")
    case.refresh_from_db()
    return case


def complete(case: Case, nurse: User, surgeon: User) -> Case:
    """Work ``case`` through every required step and sign it out."""
    make_ready(case, nurse, surgeon)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    case.refresh_from_db()
    return case


def make_people() -> dict[str, User]:
    usernames = {"administrator": "admin"}
    return {
        persona: make_user(usernames.get(persona, persona), PERSONA_ROLES[persona])
        for persona in PERSONAS
    }


def build_world() -> World:
    people = make_people()
    nurse, surgeon = people["nurse"], people["surgeon"]
    procedure = make_procedure(*STEPS, title="Security fusion", slug="security-fusion")

    def new_case(**fields) -> Case:
        return make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral", **fields)

    scheduled = new_case(room="OR 1")
    in_progress = new_case(room="OR 2")
    record(in_progress, HARD_STOP, nurse)
    implant = add_implant(in_progress, nurse)
    ready = make_ready(new_case(room="OR 5"), nurse, surgeon)
    completed = complete(new_case(room="OR 3"), nurse, surgeon)
    # The catalogue names the GTIN the fuzzing scans; one of its lots is recalled, and the
    # other case holds serial SN456 already, so scans meet every check of the implant log.
    device = Device.objects.create(
        gtin=GTIN, company="Example Orthopaedics (fictitious)", brand="Exemplar", size="7 x 45"
    )
    recall = Recall.objects.create(
        gtin=GTIN,
        scope=RecallScope.LOTS,
        listed="OLD",
        reason="Coating may flake",
        recalled_on=datetime.date(2025, 3, 4),
        recorded_by=people["administrator"],
    )
    other = new_case(room="OR 4", patient_mrn="MRN0099", patient_name="Olive Other")
    record(other, HARD_STOP, nurse)
    scanned = workflow.ImplantEntry(side=Side.LEFT, udi=f"(01){GTIN}(17)281231(10)L1(21)SN456")
    other_implant = workflow.add_implant(actor=nurse, case_id=other.pk, entry=scanned)
    for persona in ("nurse", "surgeon"):
        pins.set_pin(user=people[persona], pin=PIN)
    access = RecordAccess.objects.create(
        user=people["reviewer"], case=completed, action=AccessAction.VIEW, at=completed.created_at
    )
    # Over already: nobody in the world holds a running grant (the matrix is about roles).
    ended = timezone.now() - datetime.timedelta(hours=1)
    emergency = EmergencyAccess.objects.create(
        user=people["scrub"],
        case=completed,
        reason="Implant card for the ward",
        started_at=ended - datetime.timedelta(minutes=30),
        ends_at=ended,
    )
    return World(
        people=people,
        procedure=procedure,
        scheduled=scheduled,
        in_progress=in_progress,
        ready=ready,
        completed=completed,
        other=other,
        step=in_progress.steps.get(title=INCISION),
        implant=implant,
        other_step=other.steps.get(title=INCISION),
        other_implant=other_implant,
        audit_event=AuditEvent.objects.filter(case=in_progress).order_by("seq").first(),
        access=access,
        emergency=emergency,
        device=device,
        recall=recall,
        unknown_case_id=(Case.objects.order_by("-pk").first().pk + 1000),
    )


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Everything inside is undone at the end (a savepoint inside the test's transaction)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world, built once per module and rolled back after its last test."""
    # Module fixtures come before the suite's autouse fast-hashing fixture: ask for it here.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(db) -> World:
    """The world, built for one test (for tests whose examples each roll back)."""
    return build_world()


def set_payload(event: AuditEvent, field: str, payload: object) -> None:
    """Overwrite an event's ``before`` or ``after`` JSON behind the application's back."""
    placeholder = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    assert field in ("before", "after")
    sql = f"UPDATE {{table}} SET {field} = {placeholder} WHERE id = %s"  # noqa: S608
    tamper(AuditEvent, sql, json.dumps(payload), event.pk)


def reseal_chain(case: Case) -> None:
    """Recompute every hash of ``case``'s chain under the server's own audit key and record
    the new head, as only someone who holds the key could: the chain verifies afterwards,
    whatever its events now say."""
    head = ""
    for event in AuditEvent.objects.filter(case=case).order_by("seq"):
        event.prev_hash = head
        event.hash = head = event.compute_hash()
        sql = "UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s"
        tamper(AuditEvent, sql, event.prev_hash, event.hash, event.pk)
    tamper(Case, "UPDATE {table} SET audit_head = %s WHERE id = %s", head, case.pk)
