"""Builders for review tests: signed-out cases made through the workflow, real audit trails."""

import datetime

import pytest
from django.utils import timezone

from catalogue.selectors import device_for
from checklists import workflow
from checklists.choices import StepStatus
from tests.conftest import (
    PASSWORD,
    make_case,
    make_procedure,
    place_implant,
    record,
    time_outs_before,
)

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Team introduced", "phase": "time_out"},
    {
        "title": "Skin incision made",
        "milestone": "incision",
        "kind": "number",
        "unit": "cm",
        "min_value": 3,
        "max_value": 5,
    },
    {"title": "Wound closed"},
    {"title": "Specimens labelled", "phase": "sign_out", "required": False},
)


@pytest.fixture
def procedure(db):
    return make_procedure(*STEPS, title="Small fusion", slug="small-fusion")


@pytest.fixture
def logged_in(client, reviewer):
    """The test client, signed in as the reviewer."""
    client.force_login(reviewer)
    return client


def day(year: int, month: int, dd: int, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, dd, hour))


def signed_out(
    procedure,
    *,
    nurse,
    surgeon,
    time_out_first: bool = True,
    incision: str = "4",
    note: str = "",
    implants=(),
    **fields,
):
    """A case worked through and signed out by ``surgeon``; the Time Out is recorded before
    the incision unless ``time_out_first`` is False. ``implants``: (product, reason it was not
    implanted or "") pairs, logged, and marked opened but not implanted when a reason is given."""
    case = make_case(procedure, actor=nurse, surgeon=surgeon, **fields)
    for product, wasted_reason in implants:
        entry = workflow.ImplantEntry(product=product)
        implant = place_implant(case, nurse, entry)
        if wasted_reason:
            workflow.waste_implant(
                actor=nurse, case_id=case.pk, implant_id=implant.pk, reason=wasted_reason
            )
    record(case, "Identity confirmed", nurse)
    if time_out_first:
        record(case, "Team introduced", nurse)
        record(case, "Skin incision made", surgeon, value=incision, note=note)
    else:
        record(case, "Skin incision made", surgeon, value=incision, note=note)
        record(case, "Team introduced", nurse)
    record(case, "Wound closed", surgeon)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    case.refresh_from_db()
    return case


def amend_incision(case, surgeon, *, value: str = "5", reason: str = "Measured again"):
    step = case.steps.get(title="Skin incision made")
    return workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status=StepStatus.DONE, value=value),
        revision=step.revision,
        reason=reason,
        password=PASSWORD,
    )


UDI_GTIN = "00812345678901"
UDI = f"(01){UDI_GTIN}(17)281231(10)LOT123(21)SN{{serial}}"


def work_through(case, *, nurse, surgeon, na: dict[str, str] | None = None) -> None:
    """Record every step of a seeded procedure's case (implants logged by barcode) and sign it
    out; ``na`` maps step titles to a reason for marking them not applicable."""
    from checklists.choices import StepStatus
    from procedures.choices import StepKind

    na = na or {}
    catalogued = device_for(UDI_GTIN) is not None
    typed = {"manufacturer": "SI-BONE", "product": "iFuse-3D", "size": "7.0 x 45"}
    for step in case.steps.order_by("position"):
        actor = surgeon if step.role == "surgeon" else nurse
        if step.kind == StepKind.IMPLANTS:
            for n in (1, 2):
                place_implant(
                    case,
                    surgeon,
                    workflow.ImplantEntry(
                        side=step.side,
                        # Typed only where the device catalogue (loaded for browser tests)
                        # does not name the device itself.
                        **({} if catalogued else typed),
                        # A device is implanted in one case only: the case in its serial.
                        udi=UDI.format(serial=f"{step.side[0].upper()}{n}C{case.pk}"),
                    ),
                )
        if step.title in na:
            answer = workflow.Answer(status=StepStatus.NOT_APPLICABLE, na_reason=na[step.title])
        else:
            answer = workflow.Answer(status=StepStatus.DONE, value=_value(step))
        step.refresh_from_db()
        time_outs_before(case, step, nurse)
        workflow.record_step(
            actor=actor, case_id=case.pk, step_id=step.pk, answer=answer, revision=step.revision
        )
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    case.refresh_from_db()


def _value(step) -> str:
    from checklists import workflow
    from procedures.choices import StepKind

    if step.kind == StepKind.SIDE:
        return workflow.side_expected(step.case, step)  # the sides seen agree

    if step.kind == StepKind.YES_NO:
        return step.expected_answer or "no"
    if step.kind == StepKind.CHOICE:
        return step.options[0]
    if step.kind == StepKind.NUMBER:
        return "4"
    if step.kind == StepKind.TEXT:
        return step.default_value or "Routine recovery."
    return ""
