"""Proof that no audit event was altered, removed or reordered behind the application's back.

Each event's hash is an HMAC under an audit key held outside the database (``AUDIT_KEYS``), so
someone who can write to the database but does not hold the key cannot recompute a chain after
changing it: the changed event no longer matches its hash, whatever they recompute after it.
"""

from collections.abc import Iterable
from itertools import groupby
from operator import attrgetter

from checklists.audit.verdict import ChainBreak, Verdict
from checklists.models import AuditEvent, Case, UnknownAuditKey


def verify_chains(*, case_ids: Iterable[int] | None = None) -> Verdict:
    """Recompute every case's hash chain; report the first break in each broken case.

    Streams events in chain order, one case's at a time, so memory stays flat however many
    cases there are. The chains alone: ``verify_audit`` also replays them against the rows.
    """
    cases = Case.objects.all()
    events = AuditEvent.objects.all()
    if case_ids is not None:
        case_ids = list(case_ids)
        cases, events = cases.filter(pk__in=case_ids), events.filter(case_id__in=case_ids)
    heads = {
        pk: (seq, head) for pk, seq, head in cases.values_list("pk", "audit_seq", "audit_head")
    }

    breaks: list[ChainBreak] = []
    count = 0
    unseen = set(heads)  # cases whose chain has not a single event left
    stream = events.order_by("case_id", "seq").iterator(chunk_size=2000)
    for case_id, case_events in groupby(stream, key=attrgetter("case_id")):
        chain = list(case_events)
        count += len(chain)
        unseen.discard(case_id)
        breaks.extend(_found(chain_break(case_id, heads.get(case_id, (0, "")), chain)))
    for case_id in unseen:
        breaks.extend(_found(chain_break(case_id, heads[case_id], [])))
    breaks.sort(key=attrgetter("case_id"))
    return Verdict(cases=len(heads), events=count, breaks=breaks)


def chain_break(
    case_id: int, head: tuple[int, str], events: Iterable[AuditEvent]
) -> ChainBreak | None:
    """The first break in one case's chain: ``events`` in ``seq`` order, ``head`` the sequence
    number and hash the case row records for its newest event. Reads nothing else."""
    seq, prev = 0, ""
    for event in events:
        problem = None
        if event.seq != seq + 1:
            problem = f"expected event #{seq + 1} here: events are missing or reordered"
        elif event.prev_hash != prev:
            problem = "it does not link to the event before it: the chain was rewritten"
        else:
            problem = _seal_problem(event)
        if problem:
            return ChainBreak(case_id, event.seq, event.pk, problem)
        seq, prev = event.seq, event.hash
    if (seq, prev) != head:
        problem = f"the chain ends at #{seq} but the case records #{head[0]}: events were removed"
        return ChainBreak(case_id, seq, None, problem)
    return None


def _found(chain_break: ChainBreak | None) -> list[ChainBreak]:
    return [chain_break] if chain_break else []


def _seal_problem(event: AuditEvent) -> str | None:
    try:
        if event.compute_hash() == event.hash:
            return None
    except UnknownAuditKey:
        return f"it names the audit key {event.key_id!r}, which this server does not hold"
    return "its content no longer matches its hash: it was altered, or sealed without the key"
