"""Synthetic case history, for benchmarks and demos only: it bypasses the workflow on purpose.

Every real change to a case goes through ``checklists.workflow``: one transaction, one locked
case, one audit event at a time. That is far too slow to make a year of history for 100k cases,
so this module writes the same rows directly, in bulk, as the workflow would have written them:

- each case's steps are the workflow's own snapshot of its procedure (``snapshot_steps``);
- every change has its audit event, with the payloads the workflow writes, chained by
  ``AuditEvent.compute_hash`` (the verifier's own code), and the case carries its chain's head
  (``audit_seq``/``audit_head``), so ``verify_audit`` proves these chains like real ones;
- sign-out and amendment signatures hash the case content as ``workflow.case_content_hash``;
- each case carries its compliance facts, computed from its step rows by the workflow's own
  definition (``checklists.compliance``), as the workflow stores them when a case closes.

Rows are built as plain tuples and inserted with ``executemany`` in batches, each batch in one
transaction that first reserves its primary keys (SQLite: the ids after the table's highest,
taken under the batch's write lock; PostgreSQL: ``nextval`` on each table's sequence), so the
application may keep running beside it. Django's ``bulk_create`` was measured first: for the
rows of 500 cases (about 35k) it took 3.4 s against 0.4 s for ``executemany`` on SQLite, the
time going to model instances and to statements of at most 999 parameters each.

Synthetic patients have MRNs starting ``SYN-`` and are not anyone real.
"""

import datetime
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone

from accounts import roles
from accounts.people import display_name
from checklists.choices import (
    AuditAction,
    CaseStatus,
    Laterality,
    SignatureMeaning,
    StepStatus,
)
from checklists.compliance import Compliance, StepFacts, compliance_of
from checklists.models import (
    AuditEvent,
    Case,
    CaseStep,
    Implant,
    Signature,
    audit_key_id,
    sha256_json,
)
from checklists.workflow.cases import snapshot_steps
from procedures.choices import Milestone, Phase, StepKind, StepRole
from procedures.models import Procedure

MRN_PREFIX = "SYN-"
MI = "si-fusion-minimally-invasive"
OPEN = "si-fusion-open"
ROOMS = ("OR 1", "OR 2", "OR 3", "OR 4", "OR 5", "OR 7")
UTC = datetime.UTC

# (username, first name, last name, speed: a factor on procedure time)
SURGEONS = (
    ("syn.surgeon.adeyemi", "Tolu", "Adeyemi", 0.85),
    ("syn.surgeon.brandt", "Klara", "Brandt", 1.0),
    ("syn.surgeon.costa", "Rui", "Costa", 1.15),
    ("syn.surgeon.dubois", "Marc", "Dubois", 0.95),
    ("syn.surgeon.evans", "Megan", "Evans", 1.3),
    ("syn.surgeon.fujita", "Ken", "Fujita", 1.05),
)
NURSES = (
    ("syn.nurse.garcia", "Lucia", "Garcia"),
    ("syn.nurse.hughes", "Owen", "Hughes"),
    ("syn.nurse.iqbal", "Sana", "Iqbal"),
    ("syn.nurse.jensen", "Freja", "Jensen"),
)
SCRUBS = (
    ("syn.scrub.kowalski", "Piotr", "Kowalski"),
    ("syn.scrub.lee", "Min", "Lee"),
    ("syn.scrub.moreau", "Lea", "Moreau"),
)
ANAESTHETISTS = (
    ("syn.anaes.nakamura", "Yui", "Nakamura"),
    ("syn.anaes.obi", "Chidi", "Obi"),
    ("syn.anaes.petrov", "Ivan", "Petrov"),
)
REVIEWERS = (("syn.reviewer.quinn", "Aoife", "Quinn"), ("syn.reviewer.rossi", "Marco", "Rossi"))

FIRST_NAMES = [
    "Alice",
    "Amir",
    "Beatriz",
    "Chen",
    "Dmitri",
    "Eva",
    "Farah",
    "Gustav",
    "Hana",
    "Idris",
    "Joan",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Olu",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
]
LAST_NAMES = [
    "Abbott",
    "Bauer",
    "Carvalho",
    "Dimitriou",
    "Eriksen",
    "Fischer",
    "Gallagher",
    "Haddad",
    "Ito",
    "Jovanovic",
    "Kaur",
    "Lindqvist",
    "Mensah",
    "Novak",
    "Okafor",
    "Pereira",
    "Quist",
    "Russo",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zielinski",
]

IMPLANTS = {
    MI: ("SI-BONE", "iFuse-3D", ("7.0 x 40", "7.0 x 45", "7.0 x 50", "7.0 x 55"), (2, 3, 3, 3, 4)),
    OPEN: ("DePuy Synthes", "SI fusion plate", ("3.5 x 60", "3.5 x 70"), (1, 2, 2)),
}
GTIN_BASE = {MI: "0081234567890", OPEN: "0081234567891"}

# Not-applicable answers with their reasons (probability, reason), by step title.
NOT_APPLICABLE = {
    "Specimens labelled": (0.35, "No specimen taken"),
    "Bone block replaced": (0.04, "Allograft dowel used instead of the bone block"),
    "Pathway drilled (and broached, where the implant system needs it) through the ilium "
    "toward the sacrum": (0.03, "Self-harvesting implant system: no separate drilling"),
    "Essential imaging displayed; fluoroscope positioned": (
        0.01,
        "Navigation used; no fluoroscopy",
    ),
}
YES_ANSWERS = {  # yes/no steps answered "yes" now and then, with the note "yes" calls for
    "Known allergy": (0.12, "Penicillin: rash"),
    "Difficult airway or aspiration risk": (0.05, ""),
    "Risk of blood loss over 500 ml": (0.08, ""),
    "Equipment problems to report": (0.04, "Fluoroscope monitor flickered; reported to biomed"),
}
RECOVERY_NOTES = (
    "Routine recovery; analgesia as charted.",
    "Mobilise with physiotherapy day 1; touch-weight bearing 3 weeks.",
    "Watch the wound; diabetic patient.",
    "Standard post-operative care.",
)
REVIEW_COMMENTS = ("", "", "", "Complete and consistent.", "Checked against the theatre log.")
CANCEL_REASONS = ("Patient unwell on the day", "Consent withdrawn", "No ICU bed", "Equipment fault")


# --- reference data, prepared once ----------------------------------------------------------


@dataclass(frozen=True)
class Person:
    pk: int
    name: str


@dataclass(frozen=True)
class Layout:
    """One procedure done on one laterality: its steps as the workflow snapshots them."""

    procedure_id: int
    slug: str
    title: str
    laterality: str
    steps: tuple[dict[str, Any], ...]  # CaseStep fields, position and side included


@dataclass(frozen=True)
class Cast:
    surgeons: tuple[tuple[Person, float], ...]
    by_role: dict[str, tuple[Person, ...]]
    reviewers: tuple[Person, ...]
    layouts: dict[tuple[str, str], Layout]


def prepare_cast() -> Cast:
    """Create the synthetic staff if missing (unusable passwords) and snapshot both procedures."""
    surgeons = tuple((_person(*names, roles.SURGEON), speed) for *names, speed in SURGEONS)
    staff = {
        StepRole.NURSE: tuple(_person(*names, roles.OR_STAFF) for names in NURSES),
        StepRole.SCRUB: tuple(_person(*names, roles.OR_STAFF) for names in SCRUBS),
        StepRole.ANAESTHETIST: tuple(_person(*names, roles.OR_STAFF) for names in ANAESTHETISTS),
    }
    reviewers = tuple(_person(*names, roles.REVIEWER) for names in REVIEWERS)
    layouts = {}
    for procedure in Procedure.objects.filter(slug__in=(MI, OPEN)):
        for laterality in Laterality.values:
            layouts[procedure.slug, laterality] = _layout(procedure, laterality)
    if len(layouts) != 2 * len(Laterality.values):
        raise LookupError("The seeded SI joint fusion procedures are missing: run migrate.")
    return Cast(surgeons=surgeons, by_role=staff, reviewers=reviewers, layouts=layouts)


def _person(username: str, first: str, last: str, role: str) -> Person:
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
    return Person(pk=user.pk, name=display_name(user))


def _layout(procedure: Procedure, laterality: str) -> Layout:
    # The workflow's own snapshot, so synthetic cases have exactly the steps real ones have.
    snapshot = snapshot_steps(Case(laterality=laterality), procedure)
    names = [f.attname for f in CaseStep._meta.concrete_fields if f.attname not in ("id",)]
    steps = tuple({name: getattr(step, name) for name in names} for step in snapshot)
    return Layout(procedure.pk, procedure.slug, procedure.title, laterality, steps)


# --- primary keys ---------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], count: int) -> Iterator[int]:
    """``count`` primary keys nobody else will use. Call inside the batch's transaction."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return iter([row[0] for row in cursor.fetchall()])
        if connection.vendor != "sqlite":
            raise NotImplementedError("Synthetic history supports SQLite and PostgreSQL.")
        # The batch's IMMEDIATE transaction holds SQLite's write lock: nobody inserts meanwhile.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX(id) FROM {quoted}")  # noqa: S608 -- a model's table
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return iter(range(start, start + count))


# --- one case ---------------------------------------------------------------------------------


@dataclass
class Event:
    """What AuditEvent.compute_hash reads, without a model instance per event (millions)."""

    case_id: int
    seq: int
    step_id: int | None
    actor_id: int
    action: str
    before: Any
    after: Any
    created_at: datetime.datetime
    remote_addr: None = None
    user_agent: str = ""
    prev_hash: str = ""
    hash: str = ""
    key_id: str = field(default_factory=audit_key_id)


@dataclass(frozen=True)
class Signed:
    row: tuple
    state: dict[str, Any]


@dataclass
class Rows:
    cases: list[tuple] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    implants: list[tuple] = field(default_factory=list)
    signatures: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)


@dataclass
class Plan:
    """A case decided but not yet numbered: what happened, and when."""

    layout: Layout
    surgeon: Person
    speed: float
    room: str
    start: datetime.datetime
    created_at: datetime.datetime
    creator: Person
    patient: tuple[str, str, datetime.date]
    outcome: str  # completed, reviewed, cancelled_early, cancelled_late
    answers: list[tuple[int, str, str, str, str, Person, datetime.datetime]] = field(
        default_factory=list
    )  # (step index, status, value, note, na_reason, who, when)
    implants: list[dict[str, Any]] = field(default_factory=list)
    refused_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None
    amendment: tuple[int, str, str, datetime.datetime] | None = None  # index, value, reason, at
    reviewed: tuple[Person, datetime.datetime, str] | None = None
    cancelled: tuple[datetime.datetime, str] | None = None


class Generator:
    """Plans and numbers synthetic cases. ``random`` is seeded: the same seed, the same data."""

    def __init__(self, cast: Cast, *, rng: random.Random, now: datetime.datetime, days: int):
        self.cast = cast
        self.rng = rng
        self.now = now
        self.days = days
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        self.sqlite = connection.vendor == "sqlite"
        self.surgeon_weights = [1.4, 1.2, 1.0, 1.0, 0.7, 0.7][: len(cast.surgeons)]
        # Step dicts live as long as the cast (in its layouts), so their ids are stable keys.
        self._snapshots: dict[int, tuple] = {}

    # -- deciding ---------------------------------------------------------------------------

    def plan(self) -> Plan:
        rng = self.rng
        slug = MI if rng.random() < 0.65 else OPEN
        laterality = rng.choices(Laterality.values, weights=(42, 42, 16))[0]
        surgeon, speed = rng.choices(self.cast.surgeons, weights=self.surgeon_weights)[0]
        start = self._start()
        creator = rng.choice(self.cast.by_role[StepRole.NURSE])
        plan = Plan(
            layout=self.cast.layouts[slug, laterality],
            surgeon=surgeon,
            speed=speed,
            room=rng.choice(ROOMS),
            start=start,
            created_at=start - datetime.timedelta(days=rng.randint(1, 21), hours=rng.random()),
            creator=creator,
            patient=self._patient(),
            outcome=rng.choices(
                ("done", "cancelled_early", "cancelled_late"), weights=(96.5, 2, 1.5)
            )[0],
        )
        if plan.outcome == "cancelled_early":
            moment = min(start - datetime.timedelta(hours=rng.randint(1, 30)), self.now)
            plan.cancelled = (max(moment, plan.created_at), rng.choice(CANCEL_REASONS))
            return plan
        self._work_through(plan)
        return plan

    def _start(self) -> datetime.datetime:
        rng = self.rng
        day = self.today - datetime.timedelta(days=rng.randint(1, self.days))
        if day.weekday() >= 5 and rng.random() < 0.9:  # few weekend lists
            day -= datetime.timedelta(days=day.weekday() - 4)
        minutes = 7 * 60 + 30 + 30 * rng.randint(0, 16)
        local = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
        return timezone.make_aware(local, self.tz).astimezone(UTC)

    def _patient(self) -> tuple[str, str, datetime.date]:
        rng = self.rng
        mrn = f"{MRN_PREFIX}{rng.randrange(10**7):07d}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        born = datetime.date(1935, 1, 1) + datetime.timedelta(days=rng.randint(0, 55 * 365))
        return mrn, name, born

    def _work_through(self, plan: Plan) -> None:
        """Answer the steps in order, at plausible times, then sign, amend, review."""
        rng, steps = self.rng, plan.layout.steps
        cancel_after = rng.randint(3, len(steps) // 2) if plan.outcome == "cancelled_late" else None
        # Minutes for the operative phase: lognormal around the procedure's usual length.
        usual = 45 if plan.layout.slug == MI else 110
        if plan.layout.laterality == Laterality.BILATERAL:
            usual *= 1.7
        operative = usual * plan.speed * rng.lognormvariate(0, 0.2)
        procedure_steps = sum(1 for step in steps if step["phase"] == Phase.PROCEDURE)
        moment = plan.start + datetime.timedelta(minutes=rng.uniform(-5, 15), seconds=rng.random())
        late_time_out = rng.random() < 0.04
        late_index = None
        previous_phase = ""
        for index, step in enumerate(steps):
            if cancel_after is not None and index >= cancel_after:
                break
            phase = step["phase"]
            if phase == Phase.TIME_OUT and previous_phase == Phase.SIGN_IN:
                moment += datetime.timedelta(minutes=rng.uniform(8, 25))  # induction
            gap = operative / procedure_steps if phase == Phase.PROCEDURE else rng.uniform(0.3, 1.5)
            moment += datetime.timedelta(minutes=gap * rng.uniform(0.6, 1.4))
            previous_phase = phase
            if step["kind"] == StepKind.IMPLANTS:
                self._implants(plan, step, moment)
            who = self._who(plan, step)
            status, value, note, na_reason = self._answer(plan, step)
            if status == StepStatus.PENDING:
                continue
            when = moment + datetime.timedelta(microseconds=rng.randrange(10**6))
            if (
                late_time_out
                and late_index is None
                and phase == Phase.TIME_OUT
                and not step["hard_stop"]
                and step["title"].startswith("Essential imaging")
            ):
                late_index = len(plan.answers)  # recorded after the incision, below
            plan.answers.append((index, status, value, note, na_reason, who, when))
        if late_index is not None:
            incision = next(
                (a for a in plan.answers if steps[a[0]]["milestone"] == Milestone.INCISION), None
            )
            if incision is not None:
                entry = plan.answers[late_index]
                late = incision[6] + datetime.timedelta(minutes=rng.uniform(1, 8))
                plan.answers[late_index] = (*entry[:6], late)
        plan.answers.sort(key=lambda answer: answer[6])
        last = plan.answers[-1][6] if plan.answers else moment
        if cancel_after is not None:
            plan.cancelled = (
                last + datetime.timedelta(minutes=rng.uniform(2, 20)),
                rng.choice(CANCEL_REASONS),
            )
            return
        if rng.random() < 0.02:
            plan.refused_at = last + datetime.timedelta(seconds=rng.uniform(20, 60))
        plan.completed_at = last + datetime.timedelta(minutes=rng.uniform(1, 6))
        if rng.random() < 0.02:
            self._amend(plan)
        self._review(plan)

    def _who(self, plan: Plan, step: dict[str, Any]) -> Person:
        if step["role"] == StepRole.SURGEON:
            return plan.surgeon
        return self.rng.choice(self.cast.by_role[step["role"]])

    def _answer(self, plan: Plan, step: dict[str, Any]) -> tuple[str, str, str, str]:
        rng, title, kind = self.rng, step["title"], step["kind"]
        chance, reason = NOT_APPLICABLE.get(title, (0, ""))
        if not step["hard_stop"] and rng.random() < chance:
            return StepStatus.NOT_APPLICABLE, "", "", reason
        if not step["required"] and rng.random() < 0.05:
            return StepStatus.PENDING, "", "", ""
        if kind == StepKind.YES_NO:
            if step["expected_answer"]:
                return StepStatus.DONE, step["expected_answer"], "", ""
            chance, note = YES_ANSWERS.get(title, (0, ""))
            if rng.random() < chance:
                return StepStatus.DONE, "yes", note or "Discussed and prepared for.", ""
            return StepStatus.DONE, "no", "", ""
        if kind == StepKind.CHOICE:
            options = step["options"]
            weights = [90 if i == 0 else 10 / max(1, len(options) - 1) for i in range(len(options))]
            return StepStatus.DONE, rng.choices(options, weights=weights)[0], "", ""
        if kind == StepKind.NUMBER:
            low = float(step["min_value"] or 3)
            high = float(step["max_value"] or 8)
            value = Decimal(str(round(rng.uniform(low, high), 1))).normalize()
            return StepStatus.DONE, f"{value:f}", "", ""
        if kind == StepKind.TEXT:
            return StepStatus.DONE, step["default_value"] or rng.choice(RECOVERY_NOTES), "", ""
        return StepStatus.DONE, "", "", ""

    def _implants(self, plan: Plan, step: dict[str, Any], moment: datetime.datetime) -> None:
        rng, slug = self.rng, plan.layout.slug
        manufacturer, product, sizes, counts = IMPLANTS[slug]
        count = rng.choice(counts)
        lot = f"L{rng.randrange(10**6):06d}"
        expiry = (plan.start + datetime.timedelta(days=rng.randint(200, 1100))).date()
        gtin = _gtin(GTIN_BASE[slug])
        for n in range(count):
            serial = f"S{rng.randrange(10**9):09d}"
            udi = f"(01){gtin}(17){expiry:%y%m%d}(10){lot}(21){serial}"
            added = moment - datetime.timedelta(minutes=(count - n) * rng.uniform(1, 3))
            plan.implants.append(
                {
                    "side": step["side"],
                    "manufacturer": manufacturer,
                    "product": product,
                    "size": rng.choice(sizes),
                    "lot": lot,
                    "expiry": expiry,
                    "serial": serial,
                    "gtin": gtin,
                    "udi": udi,
                    "expiry_override_reason": "",
                    "added_by": plan.surgeon,
                    "added_at": added + datetime.timedelta(microseconds=rng.randrange(10**6)),
                }
            )

    def _amend(self, plan: Plan) -> None:
        steps = plan.layout.steps
        numbers = [
            i
            for i, answer in enumerate(plan.answers)
            if steps[answer[0]]["kind"] == StepKind.NUMBER and answer[1] == StepStatus.DONE
        ]
        if not numbers:
            return
        answer_index = self.rng.choice(numbers)
        old = Decimal(plan.answers[answer_index][2])
        step = steps[plan.answers[answer_index][0]]
        high = step["max_value"] if step["max_value"] is not None else Decimal(8)
        new = min(old + Decimal("0.5"), high)
        if new == old:
            new = old - Decimal("0.5")
        at = plan.completed_at + datetime.timedelta(hours=self.rng.uniform(2, 72))
        value = f"{new.normalize():f}"
        plan.amendment = (answer_index, value, "Length re-measured on the operative note", at)

    def _review(self, plan: Plan) -> None:
        rng = self.rng
        last = plan.amendment[3] if plan.amendment else plan.completed_at
        at = last + datetime.timedelta(days=rng.uniform(1, 20))
        if at < self.now and rng.random() < 0.85:
            plan.reviewed = (rng.choice(self.cast.reviewers), at, rng.choice(REVIEW_COMMENTS))

    # -- numbering: ids, states, events and their hashes --------------------------------------

    def rows(self, plans: list[Plan]) -> Rows:
        """Reserve ids and build every row of ``plans``. Runs inside the batch's transaction."""
        ids = {
            "case": reserve_ids(Case, len(plans)),
            "step": reserve_ids(CaseStep, sum(len(p.layout.steps) for p in plans)),
            "implant": reserve_ids(Implant, sum(len(p.implants) for p in plans)),
            "signature": reserve_ids(
                Signature,
                sum((p.completed_at is not None) + (p.amendment is not None) for p in plans),
            ),
            "event": reserve_ids(AuditEvent, sum(_event_count(p) for p in plans)),
        }
        rows = Rows()
        for plan in plans:
            self._case_rows(plan, ids, rows)
        return rows

    def _case_rows(self, plan: Plan, ids: dict[str, Iterator[int]], rows: Rows) -> None:
        case_id = next(ids["case"])
        layout = plan.layout
        events: list[Event] = []
        version = 0

        def audit(
            action: str,
            actor: Person,
            at: datetime.datetime,
            *,
            step_id: int | None = None,
            before: Any = None,
            after: Any = None,
            bump: bool = True,
        ) -> None:
            nonlocal version
            event = Event(case_id, len(events) + 1, step_id, actor.pk, action, before, after, at)
            event.prev_hash = events[-1].hash if events else ""
            event.hash = AuditEvent.compute_hash(event)
            events.append(event)
            version += bump

        audit(
            AuditAction.CASE_CREATED,
            plan.creator,
            plan.created_at,
            after={
                "procedure": layout.procedure_id,
                "laterality": layout.laterality,
                "surgeon": plan.surgeon.pk,
                "room": plan.room,
                "scheduled_start": plan.start.isoformat(timespec="seconds"),
                "steps": len(layout.steps),
            },
        )
        step_ids = [next(ids["step"]) for _ in layout.steps]
        states = [_pending() for _ in layout.steps]

        # Steps and implants, in the order they happened.
        implants = sorted(plan.implants, key=lambda implant: implant["added_at"])
        positions: dict[str, int] = {}
        timeline: list[tuple[datetime.datetime, int, Any]] = [
            (implant["added_at"], 0, implant) for implant in implants
        ] + [(answer[6], 1, answer) for answer in plan.answers]
        timeline.sort(key=lambda entry: (entry[0], entry[1]))
        implant_states = []
        for at, kind, item in timeline:
            if kind == 0:
                implant_id = next(ids["implant"])
                positions[item["side"]] = positions.get(item["side"], 0) + 1
                state = _implant_state(item, positions[item["side"]])
                implant_states.append(state)
                rows.implants.append(self._implant_row(implant_id, case_id, item, state))
                audit(
                    AuditAction.IMPLANT_ADDED,
                    item["added_by"],
                    at,
                    after={"implant": implant_id, **state},
                )
                continue
            index, status, value, note, na_reason, who, when = item
            before = states[index]
            after = _state(status, value, note, na_reason, who.pk, when, revision=1)
            states[index] = after
            audit(
                AuditAction.STEP_RECORDED,
                who,
                when,
                step_id=step_ids[index],
                before=before,
                after=after,
            )
        started_at = timeline[0][0] if timeline else None

        signature_rows = []
        if plan.refused_at:
            audit(
                AuditAction.SIGNATURE_REFUSED,
                plan.surgeon,
                plan.refused_at,
                after={"meaning": SignatureMeaning.SIGN_OUT},
                bump=False,
            )
        if plan.completed_at:
            content = self._content_hash(plan, case_id, states, implant_states)
            signature = self._signature(
                ids, case_id, plan.surgeon, SignatureMeaning.SIGN_OUT, plan.completed_at, content
            )
            signature_rows.append(signature.row)
            audit(AuditAction.SIGNED_OUT, plan.surgeon, plan.completed_at, after=signature.state)
        if plan.amendment:
            answer_index, value, reason, at = plan.amendment
            index = plan.answers[answer_index][0]
            before = states[index]
            after = {
                **before,
                "value": value,
                "recorded_by": plan.surgeon.pk,
                "recorded_at": at.isoformat(),
                "revision": 2,
            }
            states[index] = after
            content = self._content_hash(plan, case_id, states, implant_states)
            signature = self._signature(
                ids,
                case_id,
                plan.surgeon,
                SignatureMeaning.AMENDMENT,
                at,
                content,
                reason=reason,
                step_id=step_ids[index],
            )
            signature_rows.append(signature.row)
            audit(
                AuditAction.STEP_AMENDED,
                plan.surgeon,
                at,
                step_id=step_ids[index],
                before=before,
                after={**after, "reason": reason, "signature": signature.state},
            )
        if plan.reviewed:
            reviewer, at, comment = plan.reviewed
            audit(AuditAction.REVIEWED, reviewer, at, after={"comment": comment})
        status = CaseStatus.REVIEWED if plan.reviewed else CaseStatus.COMPLETED
        if plan.cancelled:
            at, reason = plan.cancelled
            previous = CaseStatus.IN_PROGRESS if plan.answers or implants else CaseStatus.SCHEDULED
            audit(
                AuditAction.CANCELLED,
                plan.creator,
                at,
                before={"status": previous},
                after={"status": CaseStatus.CANCELLED, "reason": reason},
            )
            status = CaseStatus.CANCELLED

        for index, step in enumerate(layout.steps):
            rows.steps.append(self._step_row(step_ids[index], case_id, step, states[index]))
        facts = _compliance(layout, states)
        rows.signatures.extend(signature_rows)
        rows.events.extend(self._event_row(next(ids["event"]), event) for event in events)
        mrn, name, born = plan.patient
        reviewer, reviewed_at, comment = plan.reviewed or (None, None, "")
        cancelled_at, cancel_reason = plan.cancelled or (None, "")
        dt = self._dt
        rows.cases.append(
            (
                case_id,
                mrn,
                name,
                born.isoformat() if self.sqlite else born,
                layout.procedure_id,
                layout.laterality,
                plan.surgeon.pk,
                plan.room,
                dt(plan.start),
                status,
                plan.creator.pk,
                dt(plan.created_at),
                dt(started_at),
                dt(plan.completed_at),
                dt(reviewed_at),
                reviewer.pk if reviewer else None,
                comment,
                dt(cancelled_at),
                cancel_reason,
                version,
                len(events),
                events[-1].hash,
                dt(facts.time_out_at),
                dt(facts.incision_at),
                facts.required_complete,
                plan.amendment is not None,
            )
        )

    def _content_hash(
        self, plan: Plan, case_id: int, states: list[dict], implant_states: list[dict]
    ) -> str:
        # The same content as workflow.case_content_hash, built from the rows in hand.
        steps = [
            [
                step["position"],
                step["title"],
                step["side"],
                state["status"],
                state["value"],
                state["note"],
                state["na_reason"],
                state["recorded_by"],
            ]
            for step, state in zip(plan.layout.steps, states, strict=True)
        ]
        mrn, name, born = plan.patient
        return sha256_json(
            {
                "case": case_id,
                "patient": [mrn, name, born.isoformat()],
                "procedure": plan.layout.procedure_id,
                "laterality": plan.layout.laterality,
                "surgeon": plan.surgeon.pk,
                "room": plan.room,
                "steps": steps,
                "implants": sorted(implant_states, key=lambda s: (s["side"], s["position"])),
            }
        )

    def _signature(
        self,
        ids: dict[str, Iterator[int]],
        case_id: int,
        signer: Person,
        meaning: str,
        at: datetime.datetime,
        content: str,
        *,
        reason: str = "",
        step_id: int | None = None,
    ) -> "Signed":
        pk = next(ids["signature"])
        row = (pk, case_id, signer.pk, signer.name, meaning, self._dt(at), content, reason, step_id)
        state = {
            "signature": pk,
            "printed_name": signer.name,
            "meaning": SignatureMeaning(meaning).label,
            "content_hash": content,
        }
        return Signed(row=row, state=state)

    def _step_row(self, pk: int, case_id: int, step: dict[str, Any], state: dict) -> tuple:
        recorded_at = state["recorded_at"]
        return (
            pk,
            case_id,
            *self._snapshot_columns(step),
            state["status"],
            state["value"],
            state["note"],
            state["na_reason"],
            state["recorded_by"],
            self._dt(datetime.datetime.fromisoformat(recorded_at)) if recorded_at else None,
            state["revision"],
        )

    def _snapshot_columns(self, step: dict[str, Any]) -> tuple:
        """The template columns of a step row: the same for every case, so made once."""
        key = id(step)
        if key not in self._snapshots:
            self._snapshots[key] = (
                step["template_step_id"],
                step["position"],
                step["phase"],
                step["title"],
                step["guidance"],
                step["required"],
                step["hard_stop"],
                step["role"],
                step["side"],
                step["kind"],
                step["unit"],
                self._decimal(step["min_value"]),
                self._decimal(step["max_value"]),
                json.dumps(step["options"]),
                step["expected_answer"],
                step["details_required_for"],
                step["default_value"],
                step["milestone"],
            )
        return self._snapshots[key]

    def _implant_row(self, pk: int, case_id: int, item: dict, state: dict) -> tuple:
        return (
            pk,
            case_id,
            state["side"],
            state["position"],
            state["manufacturer"],
            state["product"],
            state["size"],
            state["lot"],
            item["expiry"].isoformat() if self.sqlite else item["expiry"],
            state["serial"],
            state["gtin"],
            state["udi"],
            state["expiry_override_reason"],
            item["added_by"].pk,
            self._dt(item["added_at"]),
        )

    def _event_row(self, pk: int, event: Event) -> tuple:
        return (
            pk,
            event.case_id,
            event.seq,
            event.step_id,
            event.actor_id,
            event.action,
            _json(event.before),
            _json(event.after),
            self._dt(event.created_at),
            None,
            "",
            event.prev_hash,
            event.hash,
            event.key_id,
        )

    def _dt(self, moment: datetime.datetime | None) -> Any:
        if moment is None:
            return None
        # SQLite stores UTC as text, as Django's adapter does; PostgreSQL takes the datetime.
        return str(moment.astimezone(UTC).replace(tzinfo=None)) if self.sqlite else moment

    def _decimal(self, value: Decimal | None) -> Any:
        if value is None:
            return None
        return str(value) if self.sqlite else value


def _compliance(layout: Layout, states: list[dict[str, Any]]) -> Compliance:
    """The case's compliance facts from its final step states (audit-trail form, times as
    ISO text), by the definition the workflow stores at sign-out."""
    return compliance_of(
        StepFacts(
            phase=step["phase"],
            milestone=step["milestone"],
            status=state["status"],
            required=step["required"],
            recorded_at=(
                datetime.datetime.fromisoformat(state["recorded_at"])
                if state["recorded_at"]
                else None
            ),
        )
        for step, state in zip(layout.steps, states, strict=True)
    )


def _event_count(plan: Plan) -> int:
    return (
        1
        + len(plan.answers)
        + len(plan.implants)
        + (plan.refused_at is not None)
        + (plan.completed_at is not None)
        + (plan.amendment is not None)
        + (plan.reviewed is not None)
        + (plan.cancelled is not None)
    )


def _pending() -> dict[str, Any]:
    return {
        "status": StepStatus.PENDING.value,
        "value": "",
        "note": "",
        "na_reason": "",
        "recorded_by": None,
        "recorded_at": None,
        "revision": 0,
    }


def _state(
    status: str,
    value: str,
    note: str,
    na_reason: str,
    recorded_by: int,
    recorded_at: datetime.datetime,
    *,
    revision: int,
) -> dict[str, Any]:
    # CaseStep.state(): what the audit trail keeps of a step.
    return {
        "status": str(status),
        "value": value,
        "note": note,
        "na_reason": na_reason,
        "recorded_by": recorded_by,
        "recorded_at": recorded_at.isoformat(),
        "revision": revision,
    }


def _implant_state(item: dict[str, Any], position: int) -> dict[str, Any]:
    # Implant.state()
    return {
        "side": item["side"],
        "position": position,
        "manufacturer": item["manufacturer"],
        "product": item["product"],
        "size": item["size"],
        "lot": item["lot"],
        "expiry": item["expiry"].isoformat(),
        "serial": item["serial"],
        "gtin": item["gtin"],
        "udi": item["udi"],
        "expiry_override_reason": item["expiry_override_reason"],
    }


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _gtin(first13: str) -> str:
    """A GTIN-14 with its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first13)))
    return first13 + str((10 - total % 10) % 10)


# --- inserting --------------------------------------------------------------------------------

# Column order of each table's rows above (Model._meta order, checked by _insert_sql).
CASE_COLUMNS = (
    "id", "patient_mrn", "patient_name", "patient_birth_date", "procedure_id", "laterality",
    "surgeon_id", "room", "scheduled_start", "status", "created_by_id", "created_at",
    "started_at", "completed_at", "reviewed_at", "reviewed_by_id", "review_comment",
    "cancelled_at", "cancel_reason", "version", "audit_seq", "audit_head", "time_out_at",
    "incision_at", "required_complete", "amended",
)  # fmt: skip
STEP_COLUMNS = (
    "id", "case_id", "template_step_id", "position", "phase", "title", "guidance", "required",
    "hard_stop", "role", "side", "kind", "unit", "min_value", "max_value", "options",
    "expected_answer", "details_required_for", "default_value", "milestone", "status", "value",
    "note", "na_reason", "recorded_by_id", "recorded_at", "revision",
)  # fmt: skip
IMPLANT_COLUMNS = (
    "id", "case_id", "side", "position", "manufacturer", "product", "size", "lot", "expiry",
    "serial", "gtin", "udi", "expiry_override_reason", "added_by_id", "added_at",
)  # fmt: skip
SIGNATURE_COLUMNS = (
    "id", "case_id", "signer_id", "printed_name", "meaning", "signed_at", "content_hash",
    "reason", "amended_step_id",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "case_id", "seq", "step_id", "actor_id", "action", "before", "after", "created_at",
    "remote_addr", "user_agent", "prev_hash", "hash", "key_id",
)  # fmt: skip
TABLES = (
    (Case, CASE_COLUMNS, "cases"),
    (CaseStep, STEP_COLUMNS, "steps"),
    (Implant, IMPLANT_COLUMNS, "implants"),
    (Signature, SIGNATURE_COLUMNS, "signatures"),
    (AuditEvent, EVENT_COLUMNS, "events"),
)


def _insert_sql(model: type[models.Model], columns: tuple[str, ...]) -> str:
    known = {f.column: f for f in model._meta.concrete_fields}
    if set(columns) != set(known):
        raise RuntimeError(f"{model.__name__} changed: update review.synthetic's columns.")
    quote = connection.ops.quote_name
    json_columns = {name for name, f in known.items() if isinstance(f, models.JSONField)}
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"%s{cast}" if name in json_columns else "%s" for name in columns)
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({values})"  # noqa: S608


def insert(rows: Rows) -> None:
    with connection.cursor() as cursor:
        for model, columns, attribute in TABLES:
            batch = getattr(rows, attribute)
            if not batch:
                continue
            if connection.vendor == "postgresql":
                _copy(cursor.cursor, model, columns, batch)
            else:
                cursor.executemany(_insert_sql(model, columns), batch)


def _copy(cursor: Any, model: type[models.Model], columns: tuple[str, ...], batch: list) -> None:
    """PostgreSQL's COPY: one statement for the whole batch. Row by row INSERTs (even
    pipelined by executemany) made the server parse and plan every row, and ran 4x slower."""
    _insert_sql(model, columns)  # the same check that the model still has these columns
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    with cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy:
        for row in batch:
            copy.write_row(row)


# --- the whole run ----------------------------------------------------------------------------


def generate(
    *,
    count: int,
    seed: int | None = None,
    days: int = 365,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``count`` synthetic cases spread over the past ``days``; return how many."""
    cast = prepare_cast()
    now = timezone.now()
    if connection.vendor == "sqlite":
        # This connection only: SQLite's default 2 MiB page cache makes every index insert of
        # a large table a read from disk; 256 MiB made 100k cases about 20% faster.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    made = 0
    batch_number = 0
    while made < count:
        size = min(batch_size, count - made)
        # One generator per batch, seeded from the run's seed: the same seed, the same data.
        rng = random.Random(_batch_seed(seed, batch_number))  # noqa: S311 -- made-up data
        generator = Generator(cast, rng=rng, now=now, days=days)
        plans = [generator.plan() for _ in range(size)]
        with transaction.atomic():
            insert(generator.rows(plans))
        made += size
        batch_number += 1
        if progress:
            progress(made)
    return made


def _batch_seed(seed: int | None, batch: int) -> int:
    if seed is None:
        return random.SystemRandom().randrange(2**63)
    digest = hashlib.sha256(f"{seed}:{batch}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
