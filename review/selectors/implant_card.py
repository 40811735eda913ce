"""The patient's implant card (EU MDR article 18): the devices a signed case left in the
patient, each with what identifies it, for the patient to keep and show (at an MRI scan, at a
later operation, when a recall letter comes)."""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import get_object_or_404

from catalogue.models import Device
from catalogue.selectors import devices_for
from checklists.choices import SIGNED_STATUSES
from checklists.models import Case, Implant


@dataclass(frozen=True)
class CardImplant:
    implant: Implant
    device: Device | None  # the catalogue's entry of its GTIN, for its MRI safety status


@dataclass(frozen=True)
class ImplantCard:
    case: Case
    implants: list[CardImplant]


def implant_card(*, case_id: int) -> ImplantCard:
    """A signed case's implants placed (not those opened but not implanted, nor any explanted
    since), by side and position, with their catalogue entries: three queries. A case not
    signed out has no card yet (404), nor one without an implant placed."""
    case = get_object_or_404(Case.objects.select_related("procedure", "surgeon"), pk=case_id)
    if case.status not in SIGNED_STATUSES:
        raise Http404("The implant card is printed once the case is signed out.")
    implants = list(
        case.implants.filter(wasted_reason="", explanted_on__isnull=True).order_by(
            "side", "position"
        )
    )
    if not implants:
        raise Http404("This case has no implant placed.")
    devices = devices_for(implant.gtin for implant in implants)
    return ImplantCard(
        case=case,
        implants=[CardImplant(implant, devices.get(implant.gtin)) for implant in implants],
    )
