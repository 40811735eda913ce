"""The bench's work inside Django, run by ``bench/load/`` (``bench.load.run``) as
``python -m bench.prepare TASK`` with DJANGO_SETTINGS_MODULE=bench.settings and the engine's
DATABASE_URL.

- ``generate --count N --seed S``: synthetic history (``generate_cases``), then ANALYZE on
  PostgreSQL.
- ``setup --password P --step-cases K``: a superuser for the admin changelist, and fresh cases
  for the step benchmarks and the hammer, their hard stops recorded so that no row is gated.
- ``hammer-state --case ID``: the hammer case's steps and audit events, to check for lost
  updates.

Each task prints one line of JSON on stdout.
"""

import argparse
import datetime
import io
import json
import sys
from typing import Any

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import devices  # noqa: E402
from accounts.models import Room  # noqa: E402
from checklists import workflow  # noqa: E402
from checklists.choices import AuditAction, CaseStatus, Laterality, StepStatus  # noqa: E402
from checklists.models import AuditEvent, Case, CaseStep  # noqa: E402
from procedures.choices import Phase, StepKind  # noqa: E402
from procedures.models import Procedure  # noqa: E402
from wall.screen import current_case, screen_key  # noqa: E402

SUPERUSER = "bench.admin"
MINIMALLY_INVASIVE = "si-fusion-minimally-invasive"
PAGE_CASE_MRN = "DEMO-1002"  # seed_demo's bilateral case in progress: steps, implants, sides


def generate(*, count: int, seed: int) -> dict[str, Any]:
    call_command(
        "generate_cases", count=count, seed=seed, force=True, verbosity=0, stdout=io.StringIO()
    )
    analysed = connection.vendor == "postgresql"
    if analysed:
        # Autovacuum would gather the planner's statistics after a bulk load; on a server where
        # it is off (as on some CI machines) the plans would be those for empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"cases": Case.objects.count(), "analysed": analysed}


def setup(*, password: str, step_cases: int) -> dict[str, Any]:
    users = get_user_model().objects
    admin, _ = users.update_or_create(
        username=SUPERUSER, defaults={"is_staff": True, "is_superuser": True, "is_active": True}
    )
    admin.set_password(password)
    admin.save(update_fields=["password"])
    nurse, surgeon = users.get(username="nurse"), users.get(username="surgeon")
    page_case = Case.objects.filter(patient_mrn=PAGE_CASE_MRN).latest("scheduled_start")
    cases = [_fresh_case(nurse, surgeon, number) for number in range(step_cases + 1)]
    return {
        "superuser": SUPERUSER,
        "page_case": page_case.pk,
        "step_cases": [_describe(case) for case in cases[:-1]],
        "hammer_case": _describe(cases[-1]),
        "cases": Case.objects.count(),
        "cases_listed": Case.objects.filter(
            status__in=[CaseStatus.COMPLETED, CaseStatus.REVIEWED]
        ).count(),
    }


def theatres(*, count: int) -> list[dict[str, Any]]:
    """``count`` theatres for bench/theatres.py, each a room with a case in progress (its hard
    stops before the Time Out recorded) and an enrolled wall display: {room, case, step (one
    plain check to tick), the case's version, display token}."""
    users = get_user_model().objects
    nurse, surgeon = users.get(username="nurse"), users.get(username="surgeon")
    admin = users.get(username=SUPERUSER)
    made = []
    for number in range(count):
        case = _fresh_case(nurse, surgeon, number, room_name=f"Theatre {number + 1:04d}")
        room = Room.objects.get(name=case.room)
        _, code = devices.new_pairing(room=room, name=f"Wall {room.name}", by=admin)
        _, token = devices.claim_pairing(code)
        case.refresh_from_db(fields=["version", "audit_seq"])
        step = case.steps.get(pk=_describe(case)["steps"][0])
        made.append(
            {
                "room": room.pk,
                "case": case.pk,
                "step": step.pk,
                "status": step.status,
                "revision": step.revision,
                "since": case.audit_seq,
                "version": case.version,
                "seen": screen_key(current_case(room)),
                "display": {devices.COOKIE: token},
            }
        )
    return made


def _fresh_case(nurse: Any, surgeon: Any, number: int, *, room_name: str = "") -> Case:
    room, _ = Room.objects.get_or_create(name=room_name or f"OR {20 + number}")
    case = workflow.create_case(
        actor=nurse,
        procedure=Procedure.objects.get(slug=MINIMALLY_INVASIVE),
        patient_mrn=f"BENCH-{number:03d}",
        patient_name=f"Bench Patient {number}",
        patient_birth_date=datetime.date(1960, 1, 1),
        laterality=Laterality.BILATERAL,
        surgeon=surgeon,
        room=room.name,
        scheduled_start=timezone.now().replace(microsecond=0),
    )
    # The hard stops before the Time Out: the clients' steps come after them, and a step of
    # the procedure waits for the whole Time Out (which the clients never record).
    before_time_out = [Phase.SIGN_IN, Phase.INDUCTION]
    for stop in case.steps.filter(hard_stop=True, phase__in=before_time_out).order_by("position"):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=stop.pk,
            answer=workflow.Answer(status=StepStatus.DONE),
            revision=stop.revision,
        )
    return case


def _describe(case: Case) -> dict[str, Any]:
    """The case's steps that a client may toggle freely: plain checks, no hard stop."""
    toggles = case.steps.filter(kind=StepKind.CHECK, hard_stop=False).order_by("position")
    return {"case": case.pk, "steps": list(toggles.values_list("pk", flat=True))}


def hammer_state(*, case_id: int) -> dict[str, Any]:
    with transaction.atomic():
        steps = CaseStep.objects.filter(case_id=case_id).values(
            "pk", "status", "note", "na_reason", "revision"
        )
        events = (
            AuditEvent.objects.filter(case_id=case_id, action=AuditAction.STEP_RECORDED)
            .order_by("seq")
            .values("seq", "step_id", "user_agent", "before", "after")
        )
        return {"steps": list(steps), "events": list(events)}


def main() -> None:
    parser = argparse.ArgumentParser()
    tasks = parser.add_subparsers(dest="task", required=True)
    task = tasks.add_parser("generate")
    task.add_argument("--count", type=int, required=True)
    task.add_argument("--seed", type=int, default=1)
    task = tasks.add_parser("setup")
    task.add_argument("--password", required=True)
    task.add_argument("--step-cases", type=int, default=8)
    task = tasks.add_parser("theatres")
    task.add_argument("--count", type=int, required=True)
    task = tasks.add_parser("hammer-state")
    task.add_argument("--case", type=int, required=True)
    args = parser.parse_args()
    if args.task == "generate":
        result = generate(count=args.count, seed=args.seed)
    elif args.task == "setup":
        result = setup(password=args.password, step_cases=args.step_cases)
    elif args.task == "theatres":
        result = theatres(count=args.count)
    else:
        result = hammer_state(case_id=args.case)
    sys.stdout.write(json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
