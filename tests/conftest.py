"""Personas and tiny builders shared by the whole suite. Everything runs on the real database."""

import pytest
from django.contrib.auth.models import Group, User

from accounts import roles
from accounts.models import Room

PASSWORD = "Theatre-4-demo"

# The ASGI events server of live push, as a fixture (``events_server``).
pytest_plugins = ["tests.events_server"]


def pytest_collection_modifyitems(config, items) -> None:
    """``postgres_only`` tests need PostgreSQL's row locks between connections; on SQLite, whose
    IMMEDIATE transactions serialise every writer anyway, they would prove nothing. CI runs the
    suite on both (.ci/run), so they run there."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(
    username: str,
    role: str,
    *,
    first_name: str = "",
    last_name: str = "",
    clinical_role: str = "",
) -> User:
    """A person in ``role`` (a group) who, in theatre, is a ``clinical_role`` (if given)."""
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=first_name or username.title(),
        last_name=last_name or "Demo",
        is_staff=role == roles.ADMINISTRATOR,
    )
    user.groups.add(Group.objects.get(name=role))
    if clinical_role:
        from accounts.models import StaffProfile

        StaffProfile.objects.create(user=user, clinical_role=clinical_role)
    return user


@pytest.fixture
def nurse(db) -> User:
    return make_user(
        "nurse", roles.OR_STAFF, first_name="Nora", last_name="Nurse", clinical_role="nurse"
    )


@pytest.fixture
def scrub(db) -> User:
    return make_user(
        "scrub", roles.OR_STAFF, first_name="Sam", last_name="Scrub", clinical_role="scrub"
    )


@pytest.fixture
def anaesthetist(db) -> User:
    return make_user(
        "anaesthetist",
        roles.OR_STAFF,
        first_name="Ana",
        last_name="Sthetist",
        clinical_role="anaesthetist",
    )


@pytest.fixture
def surgeon(db) -> User:
    return make_user("surgeon", roles.SURGEON, first_name="Sue", last_name="Surgeon")


@pytest.fixture
def other_surgeon(db) -> User:
    return make_user("surgeon2", roles.SURGEON, first_name="Otto", last_name="Other")


@pytest.fixture
def reviewer(db) -> User:
    return make_user("reviewer", roles.REVIEWER, first_name="Rae", last_name="Reviewer")


@pytest.fixture
def administrator(db) -> User:
    return make_user("admin", roles.ADMINISTRATOR, first_name="Ada", last_name="Admin")


@pytest.fixture
def administrator_client(client, administrator):
    """The test client, signed in as the administrator: staff with the role's permissions, not a
    superuser (pytest-django's ``admin_client`` is one)."""
    client.force_login(administrator)
    return client


def enrol_tablet(client, *, by: User, name: str = "OR 3 cart", room: Room | None = None):
    """Make ``client`` a tablet enrolled for the quick user switch, as the enrolment page does."""
    from accounts import devices
    from accounts.choices import DeviceKind

    device, token = devices.enrol(name=name, kind=DeviceKind.SWITCH_TABLET, by=by, room=room)
    client.cookies[devices.COOKIE] = token
    return device


@pytest.fixture
def tablet_client(client, administrator):
    """The test client as a tablet an administrator enrolled: its switch screen lists names."""
    enrol_tablet(client, by=administrator)
    return client


@pytest.fixture
def device_catalogue(db) -> None:
    """The sample device catalogue ``seed_demo`` loads (catalogue/data/si-fusion-devices.txt):
    ``00812345678901``, the GTIN the tests scan, is the Exemplar SI Fusion Implant EX-7045 of
    Example Orthopaedics (fictitious), 7.0 x 45 mm."""
    from catalogue.imports import SAMPLE_FILE, import_devices

    import_devices(SAMPLE_FILE.read_bytes())


# --- builders ----------------------------------------------------------------------------------


def make_procedure(*steps: dict, title: str = "Test procedure", slug: str = "test-procedure"):
    """A small template, published as its version 1; each step is a dict of Step fields over
    sensible defaults."""
    from django.utils import timezone

    from procedures.models import Procedure, ProcedureVersion, Step

    procedure = Procedure.objects.create(title=title, slug=slug, approach="open")
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, status="published", published_at=timezone.now()
    )
    for position, fields in enumerate(steps, start=1):
        Step.objects.create(
            version=version,
            position=position,
            **{"phase": "procedure", "role": "nurse", "title": f"Step {position}", **fields},
        )
    return procedure


def published_steps(procedure):
    """The steps of ``procedure``'s published version: what a case made now copies."""
    from procedures.models import Step

    return Step.objects.filter(version__procedure=procedure, version__status="published")


def make_case(procedure, *, actor, surgeon, laterality: str = "left", **fields):
    import datetime

    from django.utils import timezone

    from checklists import workflow

    values = {
        "patient_mrn": "MRN0042",
        "patient_name": "Pat Example",
        "patient_birth_date": datetime.date(1961, 3, 14),
        "room": "OR 3",
        "scheduled_start": timezone.now().replace(microsecond=0),
        **fields,
    }
    if len(values["room"]) <= Room._meta.get_field("name").max_length:  # else refused anyway
        Room.objects.get_or_create(name=values["room"])  # a room in use, as the form offers
    return workflow.create_case(
        actor=actor, procedure=procedure, laterality=laterality, surgeon=surgeon, **values
    )


def place_implant(case, actor, entry):
    """Log an implant (a ``workflow.ImplantEntry``) and confirm its read-back, as the team does
    before opening it: an implant placed, which its side's implant step counts."""
    from checklists import workflow

    implant = workflow.add_implant(actor=actor, case_id=case.pk, entry=entry)
    return workflow.confirm_read_back(actor=actor, case_id=case.pk, implant_id=implant.pk)


def record(
    case, title: str, actor, *, side: str = "", status: str = "done", reason: str = "", **answer
):
    """Record one step of ``case``, found by its title (and side), at its current revision;
    ``reason`` is the one a revert gives."""
    from checklists import workflow

    step = case.steps.get(title=title, side=side)
    return workflow.record_step(
        actor=actor,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status=status, **answer),
        revision=step.revision,
        reason=reason,
    )


def record_phase(case, phase: str, actor) -> None:
    """Record every pending step of one phase of ``case`` (each side), with a plausible answer
    for its kind: the expected one where there is one, the case's side where a side is seen.
    The Time Out of a case whose Time Out gates the procedure is performed as the team does
    (``perform_time_out``): started, each item confirmed, ended with the team."""
    from checklists.models import time_out_gate

    if phase == "time_out" and time_out_gate(case).required:
        perform_time_out(case, actor)
        return
    _record_pending(case, case.steps.filter(phase=phase, status="pending"), actor)


def time_out_team(case, *, scrub: bool = True):
    """The team present at ``case``'s Time Out: its surgeon, and an anaesthetist, a nurse and
    a scrub of the staff list (the test's personas when it has them)."""
    from checklists import workflow

    def person(role: str, first: str, last: str) -> User:
        # Someone on the staff list who holds the role, else made under a name of its own (a
        # fixture made later in the test would collide with a persona's username).
        found = User.objects.filter(staff_profile__clinical_role=role, is_active=True)
        return found.order_by("pk").first() or make_user(
            f"time-out-{role}", roles.OR_STAFF, first_name=first, last_name=last, clinical_role=role
        )

    return workflow.TimeOutTeam(
        surgeon=case.surgeon,
        anaesthetist=person("anaesthetist", "Andy", "Anaesthetist"),
        circulating_nurse=person("nurse", "Cath", "Circulating"),
        scrub=person("scrub", "Scott", "Scrubbed") if scrub else None,
    )


ATTESTED = {"all_items_spoken": True, "everyone_present": True, "interruptions": 0}


def perform_time_out(case, actor, *, side: str = "", team=None, **attested):
    """A whole Time Out of ``case`` (or of a bilateral case's ``side``), through the workflow:
    started, every pending item confirmed as spoken, ended with ``team`` (by default
    ``time_out_team``) attesting as ``attested`` says (by default: all spoken, all present, no
    interruption)."""
    from checklists import workflow

    time_out = workflow.start_time_out(actor=actor, case_id=case.pk, side=side)
    if not side:
        pending = case.steps.filter(phase="time_out", status="pending")
        _record_pending(case, pending, actor, time_out=time_out)
    return workflow.end_time_out(
        actor=actor,
        case_id=case.pk,
        time_out_id=time_out.pk,
        team=team or time_out_team(case),
        attestation=workflow.Attestation(**{**ATTESTED, **attested}),
    )


def time_outs_before(case, step, actor) -> None:
    """The Time Outs the gate still demands before ``step`` (``TimeOutGate.waits``): the
    case's, and a bilateral case's second side's, each performed as ``perform_time_out`` does.
    For helpers that work a case through step by step."""
    from checklists.models import time_out_gate

    gate = time_out_gate(case)
    if not gate.waits(step):
        return
    if not gate.holds(""):
        perform_time_out(case, actor)
    if step.side and step.side == gate.second_side and not gate.holds(step.side):
        perform_time_out(case, actor, side=step.side)


def plausible_value(step) -> str:
    """An answer for ``step``'s kind: the expected one where there is one; the case's side
    where a side is seen (it agrees)."""
    from checklists import workflow

    if step.kind == "side":
        return workflow.side_expected(step.case, step)
    if step.kind == "choice":
        return step.options[0]
    if step.kind == "yes_no":
        return step.expected_answer or "no"
    if step.kind == "number":
        return str(step.min_value or 1)
    if step.kind == "text":
        return step.default_value or "As planned."
    return ""


def _record_pending(case, steps, actor, *, time_out=None) -> None:
    from checklists import workflow

    for step in steps.order_by("position"):
        value = plausible_value(step)
        answer = workflow.Answer(status="done", value=value)
        if time_out is None:
            workflow.record_step(
                actor=actor,
                case_id=case.pk,
                step_id=step.pk,
                answer=answer,
                revision=step.revision,
            )
        else:
            workflow.confirm_time_out_item(
                actor=actor,
                case_id=case.pk,
                time_out_id=time_out.pk,
                step_id=step.pk,
                answer=answer,
                revision=step.revision,
            )


def tamper(model, sql: str, *params) -> None:
    """Run ``sql`` ({table} stands for ``model``'s table) behind the application's back, as
    someone with database access could. On PostgreSQL an append-only table's trigger is
    disabled around it, as the table's owner could do; the test's rollback undoes it all."""
    from django.db import connection

    table = model._meta.db_table
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # ALTER TABLE refuses while foreign-key checks are deferred: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql.format(table=table), params)
        if postgresql:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def events(case, **filters) -> list:
    from checklists.models import AuditEvent

    return list(AuditEvent.objects.filter(case=case, **filters).order_by("seq"))


# The procedure rows the data migrations install, read once the test database is migrated.
# A transactional test's teardown flushes every table, so the transactional tests that follow
# put them back (``reference_data``).
SEEDED_PROCEDURES: dict[str, list[dict]] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):

    with django_db_blocker.unblock():
        for model in seeded_models():
            SEEDED_PROCEDURES[model.__name__] = list(model.objects.order_by("pk").values())


@pytest.fixture
def reference_data(transactional_db) -> None:
    """What the data migrations install (roles, the seeded procedures), put back if flushed."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    from procedures.models import Procedure

    roles.apply_permissions(apps)
    if Procedure.objects.exists():
        return  # not flushed yet (the first transactional test of a run)
    models = seeded_models()
    for model in models:
        model.objects.bulk_create(model(**row) for row in SEEDED_PROCEDURES[model.__name__])
    # The rows keep their ids: PostgreSQL's sequences must move past them, or the next row
    # made gets an id already taken.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def seeded_models() -> list:
    """The tables the data migrations fill, in an order their foreign keys allow."""
    from procedures.models import Block, BlockStep, BlockVersion, Procedure, ProcedureVersion, Step

    return [Procedure, ProcedureVersion, Block, BlockVersion, BlockStep, Step]
