"""Proof that no audit event was altered, removed or reordered behind the application's back.

Each event's hash is an HMAC under an audit key held outside the database (``AUDIT_KEYS``), so
someone who can write to the database but does not hold the key cannot recompute a chain after
changing it: the changed event no longer matches its hash, whatever they recompute after it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from checklists.models import AuditEvent, Case, UnknownAuditKey


@dataclass(frozen=True)
class ChainBreak:
    case_id: int
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.event_id else f"after #{self.seq}"
        return f"Case {self.case_id}, {where}: {self.problem}"


@dataclass(frozen=True)
class Verdict:
    cases: int
    events: int
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_chains(*, case_ids: Iterable[int] | None = None) -> Verdict:
    """Recompute every case's hash chain; report the first break in each broken case.

    Streams events in chain order, so memory stays flat however many cases there are.
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
    broken: set[int] = set()
    chain: dict[int, tuple[int, str]] = {}  # case id -> (last seq, last hash) seen so far
    count = 0
    for event in events.order_by("case_id", "seq").iterator(chunk_size=2000):
        count += 1
        if event.case_id in broken:
            continue
        seq, prev = chain.get(event.case_id, (0, ""))
        problem = None
        if event.seq != seq + 1:
            problem = f"expected event #{seq + 1} here: events are missing or reordered"
        elif event.prev_hash != prev:
            problem = "it does not link to the event before it: the chain was rewritten"
        else:
            problem = _seal_problem(event)
        if problem:
            breaks.append(ChainBreak(event.case_id, event.seq, event.pk, problem))
            broken.add(event.case_id)
        chain[event.case_id] = (event.seq, event.hash)

    for case_id, (head_seq, head_hash) in heads.items():
        if case_id in broken:
            continue
        if chain.get(case_id, (0, "")) != (head_seq, head_hash):
            last_seq = chain.get(case_id, (0, ""))[0]
            problem = f"the chain ends at #{last_seq} but the case records #{head_seq}"
            breaks.append(ChainBreak(case_id, last_seq, None, problem + ": events were removed"))
    return Verdict(cases=len(heads), events=count, breaks=breaks)


def _seal_problem(event: AuditEvent) -> str | None:
    try:
        if event.compute_hash() == event.hash:
            return None
    except UnknownAuditKey:
        return f"it names the audit key {event.key_id!r}, which this server does not hold"
    return "its content no longer matches its hash: it was altered, or sealed without the key"
