"""What goes less than well in generated cases, as it does in real theatres: the quality facts
(``checklists.quality``) need something to find, and the dashboard something to chart.

A ``Planner`` (``checklists.bulk.plan``) asks this module, with its own seeded generator:
- ``scrub_or_none``: a Time Out performed without a scrub practitioner (the team not whole);
- ``catch_up``: the Sign In and the induction entered in one go just before the Time Out,
  a few seconds a row, as a nurse does who kept them on paper (recorded after the fact);
- ``call_a_stop``: someone calls a Stop during the procedure; it is resolved a minute or two
  later and the team repeats the Time Out it made stale, before the next step.
The Time Out's attestations vary in ``plan`` itself. ``checklists.bulk.rows`` writes a Stop's
rows and events with ``stop_rows`` and ``chain_stop``, in the order ``raise_concern`` and
``resolve_concern`` write them.
"""

import dataclasses
import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from checklists import payloads
from checklists.bulk.cast import Person
from checklists.bulk.columns import Chain, Ids
from checklists.choices import AuditAction
from procedures.choices import Phase

if TYPE_CHECKING:
    from checklists.bulk.plan import Plan, PlannedTimeOut

# Shares of generated cases. Pickering (BMJ Qual Saf 2013) saw the whole team present at 77 %
# of Time Outs; the generator's teams do better on the whole, with a scrub missing now and then.
SCRUB_ABSENT = 0.07
CATCH_UP = 0.05
STOP = 0.04
# The entries of a catch-up: this far apart, each (seconds).
CATCH_UP_GAP = (2.0, 6.0)
STOP_REASONS = (
    "Implant size on the tray does not match the plan",
    "Fluoroscopy image unclear: checking the level",
    "Sterility of the drill guide in doubt",
    "Blood pressure dropping",
    "Count discrepancy before closing the first side",
)
RESOLUTIONS = (
    "Right size brought from stores and read back",
    "Second view taken; level confirmed",
    "Guide replaced with a sterile one",
    "Anaesthetist treated; stable again",
    "Recount correct",
)


@dataclass(frozen=True)
class PlannedStop:
    """A Stop called by someone on the team (``Concern``), and its resolution."""

    by: Person
    raised_at: datetime.datetime
    reason: str
    resolved_by: Person
    resolved_at: datetime.datetime
    resolution: str


class PlannedStopResolved(NamedTuple):
    """A planned Stop's resolution, a moment of its own in the case's timeline."""

    stop: PlannedStop


def scrub_or_none(scrub: Person, rng: random.Random) -> Person | None:
    """The scrub at the Time Out, or None for one performed without them."""
    return None if rng.random() < SCRUB_ABSENT else scrub


def catch_up(plan: "Plan", rng: random.Random) -> None:
    """Now and then, move the plan's Sign In and induction answers to just before its first
    Time Out answer, a few seconds apart, in the same order. Call with the answers sorted."""
    if rng.random() >= CATCH_UP:
        return
    steps, answers = plan.layout.steps, plan.answers
    early = [i for i, a in enumerate(answers) if steps[a.step_index].phase in EARLY_PHASES]
    first_item = next((a for a in answers if steps[a.step_index].phase == Phase.TIME_OUT), None)
    if len(early) < 2 or first_item is None:
        return
    gaps = [rng.uniform(*CATCH_UP_GAP) for _ in early]
    moment = first_item.at - datetime.timedelta(seconds=sum(gaps) + rng.uniform(60, 180))
    for index, gap in zip(early, gaps, strict=True):
        moment += datetime.timedelta(seconds=gap)
        answers[index] = answers[index]._replace(at=moment)
    answers.sort(key=lambda answer: answer.at)


EARLY_PHASES = (Phase.SIGN_IN, Phase.INDUCTION)


def call_a_stop(plan: "Plan", rng: random.Random, *, people: list[Person]) -> None:
    """Now and then, a Stop called by one of ``people`` between two procedure answers (on a
    bilateral case, before the second side's Time Out): resolved by the surgeon a little later,
    the case's Time Out made stale by it, and repeated by the same team before the next
    answer. Call once the plan's Time Outs are made, for a case that goes on to sign-out."""
    if rng.random() >= STOP or not plan.time_outs:
        return
    steps, answers = plan.layout.steps, plan.answers
    first = plan.time_outs[0]
    if first.side or first.ended_at is None:
        return
    before = min((t.started_at for t in plan.time_outs if t.side), default=None)
    gaps = [
        (answers[i].at, answers[i + 1].at)
        for i in range(len(answers) - 1)
        if steps[answers[i].step_index].phase == Phase.PROCEDURE
        and steps[answers[i + 1].step_index].phase == Phase.PROCEDURE
        and answers[i].at > first.ended_at
        and (before is None or answers[i + 1].at < before)
    ]
    if not gaps:
        return
    earlier, later = rng.choice(gaps)

    def at(fraction: float) -> datetime.datetime:
        return earlier + (later - earlier) * fraction

    which = rng.randrange(len(STOP_REASONS))
    stop = PlannedStop(
        by=rng.choice(people),
        raised_at=at(0.15),
        reason=STOP_REASONS[which],
        resolved_by=plan.surgeon,
        resolved_at=at(0.55),
        resolution=RESOLUTIONS[which],
    )
    plan.stops.append(stop)
    stale = dataclasses.replace(
        first,
        invalidated_at=stop.raised_at,
        invalidated_by=stop.by,
        invalidated_reason=f"a Stop was called: {stop.reason}",
    )
    repeated = dataclasses.replace(first, started_at=at(0.65), ended_at=at(0.9))
    plan.time_outs = sorted(
        [stale, repeated, *plan.time_outs[1:]], key=lambda time_out: time_out.started_at
    )


def stop_moments(plan: "Plan") -> list[tuple[datetime.datetime, Any]]:
    """The plan's Stops called and resolved, as moments of its timeline."""
    moments: list[tuple[datetime.datetime, Any]] = []
    for stop in plan.stops:
        moments += [(stop.raised_at, stop), (stop.resolved_at, PlannedStopResolved(stop))]
    return moments


def chain_stop(
    item: "PlannedStop | PlannedStopResolved",
    *,
    plan: "Plan",
    chain: Chain,
    ids: Ids,
    concern_ids: dict[int, int],
    time_out_ids: dict[int, int],
) -> None:
    """Append a Stop's events as ``raise_concern`` (the Stop, then each Time Out it made
    stale) or ``resolve_concern`` writes them; a Stop's id is drawn when it is called."""
    if isinstance(item, PlannedStopResolved):
        stop = item.stop
        resolved = payloads.concern_resolved(
            concern=concern_ids[id(stop)], resolution=stop.resolution
        )
        chain.append(
            AuditAction.CONCERN_RESOLVED, stop.resolved_by, stop.resolved_at, after=resolved
        )
        return
    concern_ids[id(item)] = pk = next(ids["concern"])
    raised = payloads.concern_raised(concern=pk, reason=item.reason)
    chain.append(AuditAction.CONCERN_RAISED, item.by, item.raised_at, after=raised)
    for time_out in made_stale(plan, item):
        invalidated = payloads.time_out_invalidated(
            time_out=time_out_ids[id(time_out)], reason=time_out.invalidated_reason
        )
        chain.append(AuditAction.TIME_OUT_INVALIDATED, item.by, item.raised_at, after=invalidated)


def made_stale(plan: "Plan", stop: PlannedStop) -> list["PlannedTimeOut"]:
    """The plan's Time Outs the Stop made stale, in the order started."""
    return [t for t in plan.time_outs if t.invalidated_at == stop.raised_at]


def stop_rows(
    plan: "Plan",
    *,
    case_id: int,
    concern_ids: dict[int, int],
    dt: Callable[[datetime.datetime | None], Any],
) -> list[tuple]:
    """The plan's ``Concern`` rows, in ``CONCERN_COLUMNS`` order."""
    return [
        (
            concern_ids[id(stop)],
            case_id,
            stop.reason,
            stop.by.pk,
            dt(stop.raised_at),
            stop.resolution,
            stop.resolved_by.pk,
            dt(stop.resolved_at),
        )
        for stop in plan.stops
    ]


def stop_event_count(plan: "Plan") -> int:
    """The events of the plan's Stops: each called and resolved, each Time Out made stale."""
    return sum(2 + len(made_stale(plan, stop)) for stop in plan.stops)
