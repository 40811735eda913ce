"""The figures: one row of the table per scenario, what the clients measured, the ratios
against a yardstick, the table itself, and the hammer's check against the database."""

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    engine: str
    scenario: str
    clients: int | str = ""
    requests: int | str = ""
    rate: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: int | str = ""
    conflicts: int | str = ""
    cpu_ms: float | None = None
    db_cpu_ms: float | None = None
    ratio: str = ""
    goal: str = ""
    notes: str = ""
    busy: float = 0.0  # other processes' CPU meanwhile, in cores


@dataclass
class Measured:
    latencies: list[float]
    statuses: Counter
    failures: Counter
    seconds: float
    rate: float
    server_cpu: float
    database_cpu: float
    busy: float
    rows: int
    hammer: list[tuple]

    def percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]

    def row(self, engine: str, scenario: str, clients: int, ok: tuple[int, ...]) -> Row:
        count = len(self.latencies)
        bad = sum(n for status, n in self.statuses.items() if status not in ok and status != 409)
        extra = sum(self.failures.values()) - self.statuses.get(0, 0)
        notes = "; ".join(f"{what} ×{n}" for what, n in self.failures.most_common(3))
        return Row(
            engine=engine,
            scenario=scenario,
            clients=clients,
            requests=count,
            rate=self.rate,
            p50=self.percentile(0.50),
            p95=self.percentile(0.95),
            p99=self.percentile(0.99),
            errors=bad + extra,
            conflicts=self.statuses.get(409, 0),
            cpu_ms=1000 * self.server_cpu / count if count else None,
            db_cpu_ms=1000 * self.database_cpu / count if count and self.database_cpu else None,
            notes=notes,
            busy=self.busy,
        )


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}" if value < 100 else f"{value:,.0f}"


def render(rows: list[Row]) -> str:
    head = (
        "| Engine | Scenario | Clients | Requests | req/s | p50 ms | p95 ms | p99 ms | Errors "
        "| 409 | App CPU ms/req | DB CPU ms/req | Ratio | Goal | Notes |"
    )
    lines = [head, "|" + "---|" * 15]
    for row in rows:
        busy = f" (machine busy: +{row.busy:.1f} cores)" if row.busy >= 0.3 else ""
        cells = [
            row.engine,
            row.scenario,
            str(row.clients),
            f"{row.requests:,}" if isinstance(row.requests, int) else row.requests,
            _number(row.rate),
            _number(row.p50),
            _number(row.p95),
            _number(row.p99),
            str(row.errors),
            str(row.conflicts),
            _number(row.cpu_ms, 2),
            _number(row.db_cpu_ms, 2),
            row.ratio,
            row.goal,
            row.notes + busy,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratio(row: Row, yardstick: Row, label: str, goal: float | None) -> None:
    """Throughput against the yardstick's; and, in brackets, the same ratio of CPU time per
    request (application and database), which the other processes on the machine disturb less."""
    if not (row.rate and yardstick.rate):
        return
    value = row.rate / yardstick.rate
    row.ratio = f"{label} {value:.2f}"
    cost, yardstick_cost = _cost(row), _cost(yardstick)
    if cost and yardstick_cost:
        row.ratio += f" (CPU {yardstick_cost / cost:.2f})"
    if goal is not None:
        row.goal = f"≥ {goal}: " + ("✓" if value >= goal else "✗")


def _cost(row: Row) -> float:
    return (row.cpu_ms or 0.0) + (row.db_cpu_ms or 0.0)


def check_hammer(records: list[tuple], before: dict, after: dict) -> dict[str, Any]:
    """Compare what the clients were told with what the database holds.

    A lost update is an accepted change the database does not show: a request answered 200
    with a new answer and no audit event for it, two accepted changes based on the same
    revision of a step, or a step whose revision or state is not its last accepted change.
    """
    problems: list[str] = []
    old = {event["seq"] for event in before["events"]}
    events = [event for event in after["events"] if event["seq"] not in old]
    by_tag = {}
    for event in events:
        tag = event["user_agent"].rpartition(" hammer ")[2]
        if tag in by_tag:
            problems.append(f"two events for request {tag}")
        by_tag[tag] = event
    lost = unchanged = 0
    for tag, _step, target, revision, status, *_shown in records:
        event = by_tag.get(tag)
        if status == 200 and event is None:
            if target == "pending":
                unchanged += 1  # asked for "pending" when it already was: a harmless no-op
            else:
                lost += 1
                problems.append(f"{tag}: 200 for {target} but no audit event")
        elif status != 200 and event is not None:
            lost += 1
            problems.append(f"{tag}: HTTP {status} yet an audit event")
        elif event is not None and event["before"]["revision"] != revision:
            lost += 1
            problems.append(f"{tag}: sent revision {revision}, event based on another")
    start = {step["pk"]: step["revision"] for step in before["steps"]}
    for step in after["steps"]:
        mine = [event for event in events if event["step_id"] == step["pk"]]
        expected_revision = start[step["pk"]]
        for event in mine:
            if event["before"]["revision"] != expected_revision:
                lost += 1
                problems.append(f"step {step['pk']}: change from a stale revision")
            expected_revision = event["after"]["revision"]
        if step["revision"] != start[step["pk"]] + len(mine) or (
            mine and step["revision"] != expected_revision
        ):
            lost += 1
            problems.append(f"step {step['pk']}: revision {step['revision']} ≠ changes")
        if mine:
            last = mine[-1]["after"]
            state = (step["status"], step["note"], step["na_reason"])
            if state != (last["status"], last["note"], last["na_reason"]):
                lost += 1
                problems.append(f"step {step['pk']}: state is not the last accepted change")
    return {
        "accepted": len(events),
        "unchanged": unchanged,
        "lost": lost,
        "problems": problems,
    }
