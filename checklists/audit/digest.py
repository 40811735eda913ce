"""A digest of every chain's head, printed to be kept outside the system.

The chain stops whoever writes to the database without the audit key. Whoever also holds the
key could rewrite a chain that then verifies; a digest printed every day and kept where they
cannot reach it (a signed e-mail, a ticket, a WORM store) stops them too. A chain only grows,
so the event at a kept sequence number must keep the kept hash for ever: ``check_digest``
checks that for every case of a kept digest, and the digest's own MAC.

The format is ``FORMAT_HELP`` below, which ``manage.py audit_digest --help`` shows.
"""

import datetime
import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from checklists.models import AuditEvent, Case, UnknownAuditKey, audit_key, audit_key_id

FORMAT = "SI Tracker audit digest, format 1"
FORMAT_HELP = """\
The digest is UTF-8 text, one item a line, each line ended by a line feed (a carriage return
before it is ignored, should a mail system add one):

    SI Tracker audit digest, format 1
    date: 2025-03-04T06:00:00+00:00
    key: 2025-01
    case 17 12 3f5a0c...
    case 18 3 9b21e4...
    cases: 2
    events: 15
    mac: 77d0a1...

date: when it was printed (UTC). key: the audit key that made its MAC (SITRACKER_AUDIT_KEYS).
case <id> <seq> <hash>: one line per case, by id: the case's newest audit event's sequence
number and hash (64 hex digits). A chain only grows, so that event keeps that hash for ever.
cases: the number of case lines. events: their sequence numbers added up (the events covered).
mac: HMAC-SHA-256 (hex), under the key named, of every line before it.
"""
BATCH = 500  # kept heads checked per query


@dataclass(frozen=True)
class DigestCounts:
    cases: int
    events: int


@dataclass(frozen=True)
class DigestMismatch:
    """A case whose kept head is no longer in its chain."""

    case_id: int
    problem: str

    def __str__(self) -> str:
        return f"Case {self.case_id}: {self.problem}"


@dataclass
class DigestVerdict:
    """A kept digest checked: the cases whose kept head moved, and what is wrong with the
    file itself (its MAC, its counts, its key)."""

    date: str
    key_id: str
    kept: int = 0  # case lines checked
    mismatches: list[DigestMismatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.problems)


class DigestError(ValueError):
    """The file is not a digest in the format above (the message says where)."""


def write_digest(
    write: Callable[[str], object], *, now: datetime.datetime, key_id: str | None = None
) -> DigestCounts:
    """Write the digest of every case's chain head, line by line, with ``write``; the cases
    are streamed, so memory stays flat however many there are."""
    key_id = key_id or audit_key_id()
    mac = hmac.new(audit_key(key_id), digestmod=hashlib.sha256)

    def line(text: str) -> None:
        mac.update(f"{text}\n".encode())
        write(f"{text}\n")

    line(FORMAT)
    line(f"date: {now.astimezone(datetime.UTC).isoformat(timespec='seconds')}")
    line(f"key: {key_id}")
    cases = events = 0
    heads = Case.objects.order_by("pk").values_list("pk", "audit_seq", "audit_head")
    for pk, seq, head in heads.iterator(chunk_size=2000):
        line(f"case {pk} {seq} {head}")
        cases, events = cases + 1, events + seq
    line(f"cases: {cases}")
    line(f"events: {events}")
    write(f"mac: {mac.hexdigest()}\n")
    return DigestCounts(cases=cases, events=events)


def check_digest(
    lines: Iterable[str], *, case_ids: Iterable[int] | None = None, batch_size: int = BATCH
) -> DigestVerdict:
    """Check a kept digest against the chains: each kept head (of ``case_ids`` only, if
    given) must still be there, and the digest's own MAC right. Reads the file as it goes,
    one query per ``batch_size`` case lines. Raises ``DigestError`` for a file that is not a
    digest."""
    wanted = None if case_ids is None else set(case_ids)
    numbered = ((number, text.rstrip("\r\n")) for number, text in enumerate(lines, start=1))
    header = [_expect(numbered, prefix) for prefix in (FORMAT, "date: ", "key: ")]
    if header[0]:
        raise DigestError("line 1 of the digest names a format this release does not read")
    verdict = DigestVerdict(date=header[1], key_id=header[2])
    try:
        mac = hmac.new(audit_key(verdict.key_id), digestmod=hashlib.sha256)
    except UnknownAuditKey:
        mac = None
        verdict.problems.append(
            f"the digest's MAC is under the audit key {verdict.key_id!r}, which this server "
            "does not hold: the file itself cannot be proven"
        )
    for text in (FORMAT, f"date: {verdict.date}", f"key: {verdict.key_id}"):
        _update(mac, text)

    pending: list[tuple[int, int, str]] = []
    counts: dict[str, int] = {}
    listed = DigestCounts(cases=0, events=0)
    kept_mac = None
    for number, text in numbered:
        if text.startswith("mac: "):
            kept_mac = text.removeprefix("mac: ")
            break
        _update(mac, text)
        if text.startswith("case ") and not counts:
            case_id, seq, head = _case_line(number, text)
            listed = DigestCounts(cases=listed.cases + 1, events=listed.events + seq)
            if wanted is None or case_id in wanted:
                pending.append((case_id, seq, head))
            if len(pending) >= batch_size:
                verdict.mismatches += _moved_heads(pending)
                verdict.kept += len(pending)
                pending = []
        elif text.startswith(("cases: ", "events: ")):
            name, _, value = text.partition(": ")
            counts[name] = _number(number, value)
        else:
            raise DigestError(f"line {number} of the digest is not part of the format: {text!r}")
    if kept_mac is None:
        raise DigestError("the digest has no 'mac:' line: it was cut short")
    if any(text.strip() for _, text in numbered):
        raise DigestError("the digest goes on after its 'mac:' line")
    verdict.mismatches += _moved_heads(pending)
    verdict.kept += len(pending)

    if counts != {"cases": listed.cases, "events": listed.events}:
        verdict.problems.append(
            f"the digest says {counts.get('cases')} cases and {counts.get('events')} events "
            f"but lists {listed.cases} and {listed.events}: lines were added or removed"
        )
    if mac is not None and not hmac.compare_digest(mac.hexdigest().encode(), kept_mac.encode()):
        verdict.problems.append(
            "the digest's own MAC does not match: the file was changed after it was printed"
        )
    return verdict


def _moved_heads(kept: list[tuple[int, int, str]]) -> list[DigestMismatch]:
    """The kept heads that are no longer in their chains: one query."""
    if not kept:
        return []
    events = AuditEvent.objects.filter(
        case_id__in={case_id for case_id, _, _ in kept}, seq__in={seq for _, seq, _ in kept}
    )
    rows = events.values_list("case_id", "seq", "hash")
    now = {(case_id, seq): event_hash for case_id, seq, event_hash in rows}
    mismatches = []
    for case_id, seq, head in kept:
        found = now.get((case_id, seq))
        if found == head:
            continue
        if found is None:
            problem = f"the digest kept its event #{seq}, which is gone: the chain was cut"
        else:
            problem = (
                f"its event #{seq} no longer has the hash the digest kept ({head[:12]}…, now "
                f"{found[:12]}…): the chain was rewritten"
            )
        mismatches.append(DigestMismatch(case_id, problem))
    return mismatches


def _expect(numbered: Iterable[tuple[int, str]], prefix: str) -> str:
    for number, text in numbered:
        if not text.startswith(prefix):
            raise DigestError(f"line {number} of the digest should begin {prefix!r}")
        return text.removeprefix(prefix)
    raise DigestError("the file is empty or cut short: it is not an audit digest")


def _case_line(number: int, text: str) -> tuple[int, int, str]:
    parts = text.split(" ")
    if len(parts) != 4 or len(parts[3]) != 64:
        raise DigestError(f"line {number} of the digest is not 'case <id> <seq> <hash>'")
    return _number(number, parts[1]), _number(number, parts[2]), parts[3]


def _number(number: int, text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise DigestError(f"line {number} of the digest holds {text!r} where a number belongs")
    return int(text)


def _update(mac: "hmac.HMAC | None", text: str) -> None:
    if mac is not None:
        mac.update(f"{text}\n".encode())
