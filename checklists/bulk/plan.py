"""What happens in a generated case, decided before any row exists: a ``Plan``.

A ``Planner`` draws each case from a seeded ``random.Random``: the same seed, the same plans.
A plan names the people, the answers with their moments, the implants, and how the case ends
(signed out, perhaps after a refused password, perhaps amended, mostly reviewed; or cancelled
early or midway). ``checklists.bulk.rows`` turns plans into rows.
What cases are made of (names, implants, the occasional answers and notes) is in
``checklists.bulk.vocabulary``.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from checklists.bulk import lapses
from checklists.bulk.cast import MI, OPEN, Cast, Layout, Person
from checklists.bulk.vocabulary import (
    CANCEL_REASONS,
    FIRST_NAMES,
    GTIN_BASE,
    IMPLANTS,
    LAST_NAMES,
    MRN_PREFIX,
    NOT_APPLICABLE,
    RECOVERY_NOTES,
    REVIEW_COMMENTS,
    ROOMS,
    YES_ANSWERS,
)
from checklists.choices import SIDED, Laterality, StepStatus
from checklists.models import CaseStep
from procedures.choices import Milestone, Phase, StepKind, StepRole
from procedures.models import BOTH

UTC = datetime.UTC


READ_BACK_AFTER = datetime.timedelta(seconds=30)


class PlannedAnswer(NamedTuple):
    """A step recorded: the step's index in ``Layout.steps``, the answer, who and when."""

    step_index: int
    status: str
    value: str
    note: str
    na_reason: str
    by: Person
    at: datetime.datetime


@dataclass(frozen=True)
class PlannedImplant:
    """An implant logged, with the fields the workflow would store from its scanned UDI."""

    side: str
    manufacturer: str
    product: str
    size: str
    lot: str
    expiry: datetime.date
    serial: str
    gtin: str
    udi: str
    expiry_override_reason: str
    added_by: Person
    added_at: datetime.datetime
    duplicate_override_reason: str = ""  # the generator never logs a device twice on purpose

    @property
    def read_back_at(self) -> datetime.datetime:
        """Its read-back, confirmed by the person who logged it, half a minute after the scan
        (and before its step is ticked, a minute or more after the last scan)."""
        return self.added_at + READ_BACK_AFTER


class PlannedReadBack(NamedTuple):
    """A planned implant's read-back, a moment of its own in the case's timeline."""

    implant: PlannedImplant


@dataclass(frozen=True)
class PlannedTimeOut:
    """A Time Out read aloud (``TimeOut``): started and ended by the circulating nurse, with
    the team (``scrub`` None: none there) and its attestations; ``ended_at`` None when the case
    was cancelled during it; ``invalidated_at`` when a Stop made it stale (``lapses``)."""

    side: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    surgeon: Person
    anaesthetist: Person
    circulating_nurse: Person
    scrub: Person | None
    all_items_spoken: bool
    everyone_present: bool
    interruptions: int
    invalidated_at: datetime.datetime | None = None
    invalidated_by: Person | None = None
    invalidated_reason: str = ""


class PlannedTimeOutEnd(NamedTuple):
    """A planned Time Out's ending, a moment of its own in the case's timeline."""

    time_out: PlannedTimeOut


class PlannedAmendment(NamedTuple):
    """A signed answer changed by the surgeon: ``answer`` indexes ``Plan.answers``."""

    answer: int
    value: str
    reason: str
    at: datetime.datetime


class PlannedReview(NamedTuple):
    by: Person
    at: datetime.datetime
    comment: str


class PlannedCancellation(NamedTuple):
    at: datetime.datetime
    reason: str


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
    patient: tuple[str, str, datetime.date]  # MRN, name, date of birth
    outcome: str  # done, cancelled_early, cancelled_late
    # A Time Out step recorded after the incision: only in a case made before the Time Out
    # gated the procedure phase (its layout is one of ``Cast.ungated_layouts``).
    late_time_out: bool = False
    answers: list[PlannedAnswer] = field(default_factory=list)
    implants: list[PlannedImplant] = field(default_factory=list)
    time_outs: list[PlannedTimeOut] = field(default_factory=list)
    stops: list[lapses.PlannedStop] = field(default_factory=list)
    refused_at: datetime.datetime | None = None  # a wrong password before the sign-out
    completed_at: datetime.datetime | None = None  # signed out
    amendment: PlannedAmendment | None = None
    reviewed: PlannedReview | None = None
    cancelled: PlannedCancellation | None = None


class SerialsInUse:
    """The serials of each generated device's implants: a new one is drawn until unused (the
    workflow refuses a device, a GTIN and serial, logged twice). Shared by the planners of a
    run, and started from the database's, so that a run adding to earlier ones stays unique."""

    def __init__(self, in_use: dict[str, set[str]] | None = None) -> None:
        self.in_use = in_use or {}

    def draw(self, gtin: str, rng: random.Random) -> str:
        taken = self.in_use.setdefault(gtin, set())
        while (serial := f"S{rng.randrange(10**9):09d}") in taken:
            pass
        taken.add(serial)
        return serial


def generated_gtins() -> list[str]:
    """The GTIN-14s of the generated implants."""
    return [_gtin(base) for base in GTIN_BASE.values()]


class Planner:
    """Plans synthetic cases. ``random`` is seeded: the same seed, the same plans."""

    def __init__(
        self,
        cast: Cast,
        *,
        rng: random.Random,
        now: datetime.datetime,
        days: int,
        serials: "SerialsInUse | None" = None,
    ):
        self.cast = cast
        # A device's serial is on one implant only: the workflow refuses a second one.
        self.serials = serials if serials is not None else SerialsInUse()
        self.rng = rng
        self.now = now
        self.days = days
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        self.surgeon_weights = [1.4, 1.2, 1.0, 1.0, 0.7, 0.7][: len(cast.surgeons)]

    def plan(self) -> Plan:
        rng = self.rng
        slug = MI if rng.random() < 0.65 else OPEN
        laterality = rng.choices(SIDED, weights=(42, 42, 16))[0]
        surgeon, speed = rng.choices(self.cast.surgeons, weights=self.surgeon_weights)[0]
        start = self._start()
        creator = rng.choice(self.cast.by_role[StepRole.NURSE])
        late_time_out = rng.random() < 0.04
        layouts = self.cast.ungated_layouts if late_time_out else self.cast.layouts
        plan = Plan(
            layout=layouts[slug, laterality],
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
            late_time_out=late_time_out,
        )
        if plan.outcome == "cancelled_early":
            moment = min(start - datetime.timedelta(hours=rng.randint(1, 30)), self.now)
            plan.cancelled = PlannedCancellation(
                max(moment, plan.created_at), rng.choice(CANCEL_REASONS)
            )
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
        usual = 45.0 if plan.layout.slug == MI else 110.0
        if plan.layout.laterality == Laterality.BILATERAL:
            usual *= 1.7
        operative = usual * plan.speed * rng.lognormvariate(0, 0.2)
        procedure_steps = sum(1 for step in steps if step.phase == Phase.PROCEDURE)
        moment = plan.start + datetime.timedelta(minutes=rng.uniform(-5, 15), seconds=rng.random())
        late_index = None
        previous_phase = ""
        for index, step in enumerate(steps):
            if cancel_after is not None and index >= cancel_after:
                break
            phase = step.phase
            if phase != previous_phase and phase == Phase.INDUCTION:
                moment += datetime.timedelta(minutes=rng.uniform(3, 10))  # anaesthesia
            elif phase != previous_phase and phase == Phase.TIME_OUT:
                moment += datetime.timedelta(minutes=rng.uniform(5, 15))  # positioning, draping
            gap = operative / procedure_steps if phase == Phase.PROCEDURE else rng.uniform(0.3, 1.5)
            if phase == Phase.TIME_OUT and not plan.late_time_out:
                gap = rng.uniform(0.15, 0.35)  # read aloud: an item every 10 to 30 s
            moment += datetime.timedelta(minutes=gap * rng.uniform(0.6, 1.4))
            previous_phase = phase
            if step.kind == StepKind.IMPLANTS:
                self._implants(plan, step, moment)
            who = self._who(plan, step)
            status, value, note, na_reason = self._answer(plan, step)
            if status == StepStatus.PENDING:
                continue
            when = moment + datetime.timedelta(microseconds=rng.randrange(10**6))
            if (
                plan.late_time_out
                and late_index is None
                and phase == Phase.TIME_OUT
                and not step.hard_stop
                and step.title.startswith("Essential imaging")
            ):
                late_index = len(plan.answers)  # recorded after the incision, below
            plan.answers.append(PlannedAnswer(index, status, value, note, na_reason, who, when))
        if late_index is not None:
            incision = next(
                (a for a in plan.answers if steps[a.step_index].milestone == Milestone.INCISION),
                None,
            )
            if incision is not None:
                late = incision.at + datetime.timedelta(minutes=rng.uniform(1, 8))
                plan.answers[late_index] = plan.answers[late_index]._replace(at=late)
        plan.answers.sort(key=lambda answer: answer.at)
        lapses.catch_up(plan, rng)
        team = (
            rng.choice(self.cast.by_role[StepRole.ANAESTHETIST]),
            rng.choice(self.cast.by_role[StepRole.NURSE]),
            lapses.scrub_or_none(rng.choice(self.cast.by_role[StepRole.SCRUB]), rng),
        )
        # Pickering (BMJ Qual Saf 2013) saw all items spoken in 55 % and the whole team present
        # in 77 % of Time Outs; a team that reads from the wall does better.
        attested = (rng.random() < 0.8, rng.random() < 0.85, rng.choice((0, 0, 0, 0, 1, 2)))
        last_time_out = max(
            (i for i, step in enumerate(steps) if step.phase == Phase.TIME_OUT), default=-1
        )
        ended = cancel_after is None or cancel_after > last_time_out
        plan.time_outs = time_outs_for(plan, team=team, attested=attested, ended=ended)
        last = plan.answers[-1].at if plan.answers else moment
        if cancel_after is None:
            lapses.call_a_stop(plan, rng, people=[plan.surgeon, *team[:2]])
        else:
            plan.cancelled = PlannedCancellation(
                last + datetime.timedelta(minutes=rng.uniform(2, 20)),
                rng.choice(CANCEL_REASONS),
            )
            return
        if rng.random() < 0.02:
            plan.refused_at = last + datetime.timedelta(seconds=rng.uniform(20, 60))
        plan.completed_at = signed = last + datetime.timedelta(minutes=rng.uniform(1, 6))
        if rng.random() < 0.02:
            self._amend(plan, signed)
        self._review(plan, plan.amendment.at if plan.amendment else signed)

    def _who(self, plan: Plan, step: CaseStep) -> Person:
        if step.role == StepRole.SURGEON:
            return plan.surgeon
        return self.rng.choice(self.cast.by_role[step.role])

    def _answer(self, plan: Plan, step: CaseStep) -> tuple[str, str, str, str]:
        rng, title, kind = self.rng, step.title, step.kind
        chance, reason = NOT_APPLICABLE.get(title, (0, ""))
        if not step.hard_stop and rng.random() < chance:
            return StepStatus.NOT_APPLICABLE, "", "", reason
        if not step.required and rng.random() < 0.05:
            return StepStatus.PENDING, "", "", ""
        if kind == StepKind.YES_NO:
            if step.expected_answer:
                return StepStatus.DONE, step.expected_answer, "", ""
            chance, note = YES_ANSWERS.get(title, (0, ""))
            if rng.random() < chance:
                return StepStatus.DONE, "yes", note or "Discussed and prepared for.", ""
            return StepStatus.DONE, "no", "", ""
        if kind == StepKind.CHOICE:
            options = step.options
            weights = [90 if i == 0 else 10 / max(1, len(options) - 1) for i in range(len(options))]
            return StepStatus.DONE, rng.choices(options, weights=weights)[0], "", ""
        if kind == StepKind.NUMBER:
            low = float(step.min_value or 3)
            high = float(step.max_value or 8)
            value = Decimal(str(round(rng.uniform(low, high), 1))).normalize()
            return StepStatus.DONE, f"{value:f}", "", ""
        if kind == StepKind.TEXT:
            return StepStatus.DONE, step.default_value or rng.choice(RECOVERY_NOTES), "", ""
        if kind == StepKind.SIDE:
            # The sides seen agree with the case's: the generator makes no side disagreement.
            both = plan.layout.laterality == Laterality.BILATERAL
            return StepStatus.DONE, step.side or (BOTH if both else plan.layout.laterality), "", ""
        return StepStatus.DONE, "", "", ""

    def _implants(self, plan: Plan, step: CaseStep, moment: datetime.datetime) -> None:
        rng, slug = self.rng, plan.layout.slug
        manufacturer, product, sizes, counts = IMPLANTS[slug]
        count = rng.choice(counts)
        lot = f"L{rng.randrange(10**6):06d}"
        expiry = (plan.start + datetime.timedelta(days=rng.randint(200, 1100))).date()
        gtin = _gtin(GTIN_BASE[slug])
        for n in range(count):
            serial = self.serials.draw(gtin, rng)
            udi = f"(01){gtin}(17){expiry:%y%m%d}(10){lot}(21){serial}"
            added = moment - datetime.timedelta(minutes=(count - n) * rng.uniform(1, 3))
            plan.implants.append(
                PlannedImplant(
                    side=step.side,
                    manufacturer=manufacturer,
                    product=product,
                    size=rng.choice(sizes),
                    lot=lot,
                    expiry=expiry,
                    serial=serial,
                    gtin=gtin,
                    udi=udi,
                    expiry_override_reason="",
                    added_by=plan.surgeon,
                    added_at=added + datetime.timedelta(microseconds=rng.randrange(10**6)),
                )
            )

    def _amend(self, plan: Plan, signed: datetime.datetime) -> None:
        steps = plan.layout.steps
        numbers = [
            i
            for i, answer in enumerate(plan.answers)
            if steps[answer.step_index].kind == StepKind.NUMBER and answer.status == StepStatus.DONE
        ]
        if not numbers:
            return
        answer_index = self.rng.choice(numbers)
        old = Decimal(plan.answers[answer_index].value)
        step = steps[plan.answers[answer_index].step_index]
        high = step.max_value if step.max_value is not None else Decimal(8)
        new = min(old + Decimal("0.5"), high)
        if new == old:
            new = old - Decimal("0.5")
        at = signed + datetime.timedelta(hours=self.rng.uniform(2, 72))
        value = f"{new.normalize():f}"
        plan.amendment = PlannedAmendment(
            answer_index, value, "Length re-measured on the operative note", at
        )

    def _review(self, plan: Plan, last: datetime.datetime) -> None:
        rng = self.rng
        at = last + datetime.timedelta(days=rng.uniform(1, 20))
        if at < self.now and rng.random() < 0.85:
            plan.reviewed = PlannedReview(
                rng.choice(self.cast.reviewers), at, rng.choice(REVIEW_COMMENTS)
            )


def time_outs_for(
    plan: Plan,
    *,
    team: tuple[Person, Person, Person | None],
    attested: tuple[bool, bool, int],
    ended: bool = True,
) -> list[PlannedTimeOut]:
    """The Time Outs of a plan whose answers are made (in time order), as the workflow demands
    them (``TimeOutGate``): none if its Time Out does not gate the procedure; else the case's,
    started between the answer before its first item and that item, ended (when ``ended``)
    between its last item and the answer after; and in a bilateral case the second side's,
    between the first side's last answer and the second side's first. ``team`` is the
    anaesthetist, circulating nurse and scrub (with the plan's surgeon); ``attested`` the
    attestations. Pure: the generator and the bulk/workflow equality test both call it."""
    steps, answers = plan.layout.steps, plan.answers
    if not any(step.phase == Phase.TIME_OUT and step.gates_later_phases for step in steps):
        return []
    phases = [steps[answer.step_index].phase for answer in answers]
    items = [i for i, phase in enumerate(phases) if phase == Phase.TIME_OUT]
    if not items:
        return []
    first, last = items[0], items[-1]
    anaesthetist, nurse, scrub = team

    def time_out(side: str, start: datetime.datetime, end: datetime.datetime | None):
        return PlannedTimeOut(side, start, end, plan.surgeon, anaesthetist, nurse, scrub, *attested)

    before = answers[first - 1].at if first else answers[first].at - datetime.timedelta(minutes=1)
    start = _between(before, answers[first].at, 0.8)
    if not ended:
        return [time_out("", start, None)]
    after = answers[last + 1].at if last + 1 < len(answers) else None
    end = _between(answers[last].at, after, 0.2) if after else answers[last].at + _HALF_MINUTE
    planned = [time_out("", start, end)]
    sided = [
        (i, steps[a.step_index].side)
        for i, a in enumerate(answers)
        if phases[i] == Phase.PROCEDURE and steps[a.step_index].side
    ]
    if sided:
        first_side = sided[0][1]
        second = next((i for i, side in sided if side != first_side), None)
        if second is not None:
            previous, next_ = answers[second - 1].at, answers[second].at
            side = steps[answers[second].step_index].side
            planned.append(
                time_out(side, _between(previous, next_, 0.3), _between(previous, next_, 0.7))
            )
    return planned


_HALF_MINUTE = datetime.timedelta(seconds=30)


def _between(
    earlier: datetime.datetime, later: datetime.datetime, fraction: float
) -> datetime.datetime:
    return earlier + (later - earlier) * fraction


def _gtin(first13: str) -> str:
    """A GTIN-14 with its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first13)))
    return first13 + str((10 - total % 10) % 10)
