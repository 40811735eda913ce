"""The implant log: adding and removing implants, a scanned GS1 UDI merged with typed fields and
named from the device catalogue."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from catalogue.selectors import device_for, recall_for
from checklists import payloads
from checklists.choices import AuditAction, CaseStatus, Side, StepStatus, UdiCarrier, UdiEntry
from checklists.errors import (
    CaseLocked,
    DeviceConflict,
    ImplantRefused,
    NotFound,
    NotPermitted,
    RuleViolation,
)
from checklists.models import Case, Implant, Signature, max_length
from checklists.udi import UdiError, is_human_readable, parse_udi
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    check_text,
    lock_case,
    locked_message,
    require_permission,
    required_reason,
)
from checklists.workflow.sides import check_sides_agree, disagree_with_implant
from procedures.choices import StepKind

# A removal's reason is kept in its audit event alone, held to the limit of the other reason a
# change to the record keeps: an amendment's.
REMOVAL_REASON_LENGTH = max_length(Signature, "reason")


@dataclass(frozen=True)
class ImplantEntry:
    """An implant as entered: typed fields, a scanned UDI, or both (the barcode wins ties).
    No ``side``: the case's, or on a bilateral case the side whose implant step is next."""

    side: str = ""
    manufacturer: str = ""
    product: str = ""
    size: str = ""
    lot: str = ""
    expiry: datetime.date | None = None
    serial: str = ""
    udi: str = ""
    expiry_override_reason: str = ""
    duplicate_override_reason: str = ""


def how_entered(udi: str) -> tuple[str, str]:
    """An implant's ``entry`` and ``carrier`` (FHIR's entryType and the carrier's form) from its
    UDI as received: a scanner's data was scanned, the text printed under the barcode was
    typed, and an implant with no UDI was typed part by part (and has no carrier)."""
    if not udi:
        return UdiEntry.MANUAL, ""
    if is_human_readable(udi):
        return UdiEntry.MANUAL, UdiCarrier.HRF
    return UdiEntry.BARCODE, UdiCarrier.AIDC


def implant_fields(entry: ImplantEntry) -> dict[str, Any]:
    """The implant's columns from what was entered (pure): the typed texts checked, the UDI
    read into its parts, which must agree with any typed ones."""
    fields: dict[str, Any] = {
        "manufacturer": entry.manufacturer.strip(),
        "product": entry.product.strip(),
        "size": entry.size.strip(),
        "lot": entry.lot.strip(),
        "expiry": entry.expiry,
        "serial": entry.serial.strip(),
        "gtin": "",
        "udi": entry.udi.strip(),
        "expiry_override_reason": entry.expiry_override_reason.strip(),
        "duplicate_override_reason": entry.duplicate_override_reason.strip(),
    }
    for name in ("manufacturer", "product", "size", "lot", "serial"):
        check_text(fields[name], max_length(Implant, name), what=f"The implant's {name}")
    for name in ("expiry_override_reason", "duplicate_override_reason"):
        check_text(fields[name], max_length(Implant, name), what="The reason")
    if fields["udi"]:
        try:
            parts = parse_udi(fields["udi"])
        except UdiError as error:
            raise RuleViolation(str(error)) from None
        scanned = {
            "gtin": parts.gtin,
            "expiry": parts.expiry,
            "lot": parts.lot,
            "serial": parts.serial,
        }
        for name, from_barcode in scanned.items():
            typed = fields[name]
            if typed and from_barcode and typed != from_barcode:
                raise RuleViolation(
                    f"The {name} typed ({typed}) differs from the barcode's ({from_barcode})."
                )
            fields[name] = from_barcode or typed
        fields["udi"] = parts.raw
    fields["entry"], fields["carrier"] = how_entered(fields["udi"])
    if not (fields["product"] or fields["gtin"]):
        raise RuleViolation("Name the implant's product or scan its barcode.")
    return fields


def add_implant(
    *,
    actor: User,
    case_id: int,
    entry: ImplantEntry,
    context: RequestContext = NO_CONTEXT,
) -> Implant:
    """Log an implant on one side. A scanned GS1 UDI fills GTIN, expiry, lot and serial, and
    the device catalogue, knowing its GTIN, the company, product and size (copied: the implant
    keeps what the catalogue said at the scan).

    Refused: a recalled device (with the recall's reason), and a device (GTIN and serial)
    already on this case's log; a device recorded as implanted in another case unless a
    surgeon gives a reason, and an expired implant likewise. A GTIN the catalogue does not
    know needs the product's name typed.
    """
    require_permission(actor, "checklists.record_step", "Your role cannot log implants.")
    fields = implant_fields(entry)
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        check_sides_agree(case)
        side = _side(case, entry.side)
        _check_recall(fields)
        _check_duplicates(actor, case, fields)
        _name_from_catalogue(fields)
        _check_expiry(actor, fields)
        last = case.implants.filter(side=side).aggregate(last=Max("position"))["last"]
        implant = Implant.objects.create(
            case=case,
            side=side,
            position=(last or 0) + 1,
            added_by=actor,
            added_at=timezone.now(),
            **fields,
        )
        case_fields = []
        if case.status == CaseStatus.SCHEDULED:
            case.status, case.started_at = CaseStatus.IN_PROGRESS, implant.added_at
            case_fields = ["status", "started_at"]
        append_event(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_ADDED,
            after=payloads.logged_implant(implant),
            context=context,
            case_fields=case_fields,
        )
        disagree_with_implant(case, implant, actor=actor, context=context)
    return implant


def _side(case: Case, side: str) -> str:
    """The side asked for; none asked for, the case's side, or on a bilateral case the side of
    the implant step still to do first.

    A side the case does not have is taken, not refused: the implant is logged as it was
    reported and raises a side disagreement that holds the whole case until a surgeon
    resolves it (``sides.disagree_with_implant``). The tablet never offers such a side (each
    side's panel logs its own), so only an integration or a crafted request sends one, and a
    refusal there would be lost in a machine's log: a possible wrong-side implant must stop
    the room instead, on every screen."""
    sides = case.sides()
    if not side:
        if len(sides) == 1:
            return sides[0]
        next_step = (
            case.steps.filter(kind=StepKind.IMPLANTS, status=StepStatus.PENDING, side__in=sides)
            .order_by("position")
            .first()
        )
        if next_step is None:
            raise RuleViolation("Choose the side the implant was placed on.")
        return next_step.side
    if side not in Side.values:
        raise RuleViolation("Choose the side the implant was placed on: left or right.")
    return side


def _check_recall(fields: dict[str, Any]) -> None:
    recall = recall_for(fields["gtin"], lot=fields["lot"], serial=fields["serial"])
    if recall is not None:
        raise DeviceConflict(
            f"Recalled on {recall.recalled_on:%d %b %Y}: {recall.reason.rstrip('.')}. "
            "Do not implant it; set it aside for return."
        )


def _check_duplicates(actor: User, case: Case, fields: dict[str, Any]) -> None:
    """A device is one GTIN and serial: once on a case's log, and implanted in one case only,
    unless a surgeon says why (a mislabelled box, a record in the other case that is wrong).
    The other case is named by its date, never its patient. A lot-controlled device without a
    serial cannot be told from its lot-mates, so it is not checked."""
    gtin, serial = fields["gtin"], fields["serial"]
    reason = fields["duplicate_override_reason"]
    fields["duplicate_override_reason"] = ""
    if not (gtin and serial):
        return
    same = Implant.objects.filter(gtin=gtin, serial=serial)
    here = same.filter(case=case).first()
    if here is not None:
        raise DeviceConflict(
            f"This device (serial {serial}) is already on this case's log: "
            f"{Side(here.side).label.lower()} side, implant {here.position}. "
            "Scan the next one."
        )
    elsewhere = (
        same.exclude(case__status=CaseStatus.CANCELLED)
        .filter(wasted_reason="")  # opened but not implanted there
        .select_related("case")
        .order_by("added_at")
        .first()
    )
    if elsewhere is None:
        return
    if not reason:
        day = timezone.localtime(elsewhere.case.scheduled_start)
        raise DeviceConflict(
            f"This device (serial {serial}) is already recorded as implanted in another case, "
            f"on {day:%d %b %Y}. Check the label; a surgeon must give a reason to log it again.",
            field="duplicate_override_reason",
        )
    if not actor.has_perm("checklists.sign_case"):
        raise NotPermitted("Only a surgeon can log a device recorded in another case.")
    fields["duplicate_override_reason"] = reason


def _name_from_catalogue(fields: dict[str, Any]) -> None:
    """Company, product and size from the device catalogue, when it knows the GTIN; a typed
    value must agree with it. A GTIN it does not know needs the product's name typed."""
    if not fields["gtin"]:
        return
    device = device_for(fields["gtin"])
    if device is None:
        if not fields["product"]:
            raise ImplantRefused(
                "Not in the device catalogue: type the product's name.", field="product"
            )
        return
    catalogued = {
        "manufacturer": device.company,
        "product": device.product_name,
        "size": device.size,
    }
    for name, known in catalogued.items():
        typed = fields[name]
        if typed and known and typed != known:
            raise ImplantRefused(
                f"The {name} typed ({typed}) is not the device catalogue's for this barcode "
                f"({known}): clear it, or check the device.",
                field=name,
            )
        fields[name] = known or typed


def _check_expiry(actor: User, fields: dict[str, Any]) -> None:
    expiry = fields["expiry"]
    if expiry is None or expiry >= timezone.localdate():
        fields["expiry_override_reason"] = ""
        return
    if not fields["expiry_override_reason"]:
        raise ImplantRefused(
            f"This implant expired on {expiry:%d %b %Y}. A surgeon must give a reason to use it.",
            field="expiry_override_reason",
        )
    if not actor.has_perm("checklists.sign_case"):
        raise NotPermitted("Only a surgeon can accept an expired implant.")


def check_not_the_last_placed(case: Case, implant: Implant) -> None:
    """An implant step ticked done needs an implant placed on its side: this one, if it is the
    only one, cannot come off the log (or be marked not implanted) until the step is pending."""
    placed = case.implants.filter(side=implant.side, wasted_reason="").exclude(pk=implant.pk)
    done = case.steps.filter(
        Q(side="") | Q(side=implant.side), kind=StepKind.IMPLANTS, status=StepStatus.DONE
    ).first()
    if done and not placed.exists():
        raise RuleViolation(
            f"“{done.label}” is ticked and this is its only implant placed. "
            "Put the step back to pending first."
        )


def remove_implant(
    *,
    actor: User,
    case_id: int,
    implant_id: int,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> Implant:
    """Take an implant off the log (a mis-scan, say); the audit trail keeps what it was.
    Returns the implant as it was (deleted: its side says which panel to show)."""
    require_permission(actor, "checklists.record_step", "Your role cannot change the implant log.")
    reason = required_reason(
        reason,
        missing="Give a reason for removing the implant from the log.",
        limit=REMOVAL_REASON_LENGTH,
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        check_sides_agree(case)
        implant = case.implants.filter(pk=implant_id).first()
        if implant is None:
            raise NotFound("That implant is not on this case's log.")
        check_not_the_last_placed(case, implant)
        before = payloads.logged_implant(implant)
        implant.delete()
        append_event(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_REMOVED,
            before=before,
            after=payloads.implant_removed(reason=reason),
            context=context,
        )
    return implant
