"""The whole audit trail verified: each case's chain proven, then replayed against its rows.

``verify_audit`` walks the cases in batches of ``BATCH``: eight queries a batch (the cases,
their events, steps, implants, signatures, Stops, debrief actions, side disagreements
and Time Outs), whatever the cases hold, and memory for one batch at a time. Each case is
checked by ``verify_case``, which the review record calls too with the rows it has
already read.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from checklists.audit.chain import chain_break
from checklists.audit.replay import replay_case
from checklists.audit.verdict import ChainBreak, RowDifference, Verdict
from checklists.models import (
    AuditEvent,
    Case,
    CaseStep,
    Concern,
    DebriefAction,
    Implant,
    SideDisagreement,
    Signature,
    TimeOut,
)

BATCH = 200  # cases per batch

# What the replay reads of a step: its place, its kind and its answer (not the snapshot's
# guidance, bounds or options).
STEP_COLUMNS = (
    "case_id", "position", "title", "side", "kind", "status", "value", "note", "na_reason",
    "recorded_by_id", "recorded_at", "recorded_for", "revision",
    "stop_override_reason", "stop_overridden_by_id", "stop_overridden_at",
)  # fmt: skip


def verify_audit(*, case_ids: Iterable[int] | None = None, batch_size: int = BATCH) -> Verdict:
    """Prove every case's chain and replay it against the case's live rows: the case's
    scheduling, identity seal and status, every step, implant, signature, Stop called and Time
    Out. Each
    broken case is named once, by its chain's first break or else its rows' first difference."""
    cases = events = unsealed = 0
    breaks: list[ChainBreak] = []
    differences: list[RowDifference] = []
    for batch in case_batches(case_ids, batch_size):
        ids = [case.pk for case in batch]
        chains = _by_case(AuditEvent.objects.filter(case_id__in=ids).order_by("case_id", "seq"))
        steps = _by_case(CaseStep.objects.filter(case_id__in=ids).only(*STEP_COLUMNS))
        implants = _by_case(Implant.objects.filter(case_id__in=ids))
        signatures = _by_case(Signature.objects.filter(case_id__in=ids))
        concerns = _by_case(Concern.objects.filter(case_id__in=ids))
        actions = _by_case(DebriefAction.objects.filter(case_id__in=ids))
        sides = _by_case(SideDisagreement.objects.filter(case_id__in=ids))
        time_outs = _by_case(TimeOut.objects.filter(case_id__in=ids))
        for case in batch:
            verdict = verify_case(
                case,
                events=chains[case.pk],
                steps=steps[case.pk],
                implants=implants[case.pk],
                signatures=signatures[case.pk],
                concerns=concerns[case.pk],
                actions=actions[case.pk],
                sides=sides[case.pk],
                time_outs=time_outs[case.pk],
            )
            cases, events = cases + 1, events + verdict.events
            breaks += verdict.breaks
            differences += verdict.differences
            unsealed += verdict.identity_unsealed
    return Verdict(
        cases=cases,
        events=events,
        breaks=breaks,
        differences=differences,
        identity_unsealed=unsealed,
    )


def verify_case(
    case: Case,
    *,
    events: Sequence[AuditEvent],
    steps: Sequence[CaseStep],
    implants: Sequence[Implant],
    signatures: Sequence[Signature],
    concerns: Sequence[Concern],
    actions: Sequence[DebriefAction] = (),
    sides: Sequence[SideDisagreement] = (),
    time_outs: Sequence[TimeOut] = (),
) -> Verdict:
    """One case's chain proven and replayed, from its rows already read (``events`` in
    ``seq`` order): no query."""
    found = chain_break(case.pk, (case.audit_seq, case.audit_head), events)
    if found:
        return Verdict(cases=1, events=len(events), breaks=[found])
    replayed = replay_case(
        case,
        events,
        steps=steps,
        implants=implants,
        signatures=signatures,
        concerns=concerns,
        actions=actions,
        sides=sides,
        time_outs=time_outs,
    )
    return Verdict(
        cases=1,
        events=len(events),
        breaks=[],
        differences=[replayed.difference] if replayed.difference else [],
        identity_unsealed=0 if replayed.identity_sealed else 1,
    )


def case_batches(case_ids: Iterable[int] | None, size: int) -> Iterator[list[Case]]:
    """The cases (all, or those of ``case_ids``) in id order, ``size`` at a time: one query
    per batch, each starting after the last id of the one before."""
    cases = Case.objects.order_by("pk")
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    last = 0
    while True:
        batch = list(cases.filter(pk__gt=last)[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1].pk


class _CaseRow(Protocol):
    case_id: int


Row = TypeVar("Row", bound=_CaseRow)


def _by_case(rows: Iterable[Row]) -> defaultdict[int, list[Row]]:
    grouped: defaultdict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.case_id].append(row)
    return grouped
