"""The day's theatre list as a FHIR R4B Bundle of Appointment resources and what they name.

The Bundle (any ``type``; read and validated with ``fhir.resources``' R4B models) holds, for
each appointment, an ``Appointment`` and the resources its participants reference, inside the
Bundle (by ``fullUrl`` or by ``<type>/<id>``):

- ``Appointment.id``: the appointment's id in the scheduling system (one case each);
- ``Appointment.start``: the scheduled start (an instant, with its offset);
- ``Appointment.serviceType``: a coding of system ``urn:sitracker:procedure`` whose code is the
  procedure's slug (as this application's own FHIR ``Procedure.code`` says it);
- an extension ``urn:sitracker:laterality`` on the Appointment, ``valueCode`` ``left``,
  ``right``, ``bilateral`` or ``none`` (a general procedure with no side);
- participants: a ``Patient`` (its identifier of system ``SITRACKER_FHIR_MRN_SYSTEM``, or else
  of type ``MR``, is the MRN; ``name[0].text``, else its given and family names; ``birthDate``),
  a ``Practitioner`` (the surgeon: its identifier of system ``urn:sitracker:username``) and a
  ``Location`` (the room: its ``name``).

An Appointment ``cancelled``, ``noshow`` or ``entered-in-error`` is refused (its case, if any,
is cancelled on the tablet, with a reason). A Bundle that is not valid FHIR is refused whole;
an appointment that cannot be read is refused alone, by its entry's number (from 1), and the
rest go through ``schedule_import.import_appointments`` as the CSV's rows do.
"""

import datetime
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from accounts.context import NO_CONTEXT, RequestContext
from checklists.choices import Laterality
from checklists.models import Case, max_length
from checklists.schedule_import import (
    ID,
    Appointment,
    Refusal,
    RowRefused,
    ScheduleReport,
    UnreadableFile,
    import_appointments,
)

PROCEDURE_SYSTEM = "urn:sitracker:procedure"
LATERALITY_EXTENSION = "urn:sitracker:laterality"
USERNAME_SYSTEM = "urn:sitracker:username"
MEDICAL_RECORD_NUMBER = "MR"  # v2-0203's identifier type
NOT_COMING = {"cancelled", "noshow", "entered-in-error"}


def import_schedule_bundle(
    data: bytes, *, actor: User, context: RequestContext = NO_CONTEXT
) -> ScheduleReport:
    """Read a FHIR Bundle's bytes (JSON) into scheduled cases (see the module's docstring)."""
    bundle = read_bundle(data)
    resources: dict[str, Any] = {}
    for entry in bundle.entry or []:
        resource = entry.resource
        if resource is None:
            continue
        if entry.fullUrl:
            resources[entry.fullUrl] = resource
        if resource.id:
            resources[f"{resource.get_resource_type()}/{resource.id}"] = resource
    report = ScheduleReport(unit="entry")
    appointments = []
    for number, entry in enumerate(bundle.entry or [], start=1):
        if not isinstance(entry.resource, FhirAppointment):
            continue
        try:
            appointments.append(appointment_from_resource(number, entry.resource, resources))
        except RowRefused as refused:
            appointment_id = (entry.resource.id or "")[: max_length(Case, ID)]
            report.refused.append(Refusal(number, appointment_id, str(refused)))
    return import_appointments(appointments, actor=actor, context=context, report=report)


def read_bundle(data: bytes) -> Bundle:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnreadableFile("The file is not JSON text (UTF-8).") from None
    if not isinstance(parsed, dict) or parsed.get("resourceType") != "Bundle":
        raise UnreadableFile("The JSON is not a FHIR Bundle (its resourceType is not Bundle).")
    try:
        return Bundle.model_validate(parsed)
    except ValidationError as error:
        # Where and what, never the value: it may be a patient's.
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UnreadableFile(
            f"The Bundle is not valid FHIR R4B ({error.error_count()} errors; the first at "
            f"{where}: {first['msg']})."
        ) from None


def appointment_from_resource(
    number: int, appointment: FhirAppointment, resources: dict[str, Any]
) -> Appointment:
    """One Appointment and what it references, as the import's appointment."""
    if not appointment.id:
        raise RowRefused("The Appointment has no id.")
    if appointment.status in NOT_COMING:
        raise RowRefused(f"The Appointment is {appointment.status}.")
    if appointment.start is None:
        raise RowRefused("The Appointment has no start.")
    start: datetime.datetime = appointment.start
    slugs = [
        coding.code
        for concept in appointment.serviceType or []
        for coding in concept.coding or []
        if coding.system == PROCEDURE_SYSTEM and coding.code
    ]
    if not slugs:
        raise RowRefused(f"serviceType has no coding of system {PROCEDURE_SYSTEM}.")
    sides = [e.valueCode for e in appointment.extension or [] if e.url == LATERALITY_EXTENSION]
    if not sides or sides[0] not in Laterality.values:
        raise RowRefused(
            f"The extension {LATERALITY_EXTENSION} (valueCode left, right, bilateral or none) is "
            "missing or holds another code."
        )
    actors: dict[str, Any] = {}
    for participant in appointment.participant:
        reference = participant.actor.reference if participant.actor else None
        resource = resources.get(reference or "")
        if resource is not None:
            actors.setdefault(resource.get_resource_type(), resource)
    for kind in ("Patient", "Practitioner", "Location"):
        if kind not in actors:
            raise RowRefused(f"No participant references a {kind} inside the Bundle.")
    patient: Patient = actors["Patient"]
    usernames = [
        i.value for i in actors["Practitioner"].identifier or [] if i.system == USERNAME_SYSTEM
    ]
    if not usernames or not usernames[0]:
        raise RowRefused(f"The Practitioner has no identifier of system {USERNAME_SYSTEM}.")
    room = actors["Location"].name or ""
    if not room:
        raise RowRefused("The Location has no name.")
    if patient.birthDate is None:
        raise RowRefused("The Patient has no birthDate.")
    return Appointment(
        line=number,
        appointment_id=appointment.id,
        mrn=_mrn(patient),
        patient_name=_name(patient),
        birth_date=patient.birthDate,
        procedure=slugs[0],
        laterality=sides[0],
        surgeon=usernames[0],
        room=room,
        scheduled_start=start,
    )


def _mrn(patient: Patient) -> str:
    identifiers = patient.identifier or []
    for identifier in identifiers:
        if identifier.system == settings.FHIR_MRN_SYSTEM and identifier.value:
            return str(identifier.value)
    for identifier in identifiers:
        codes = [c.code for c in (identifier.type.coding or [])] if identifier.type else []
        if MEDICAL_RECORD_NUMBER in codes and identifier.value:
            return str(identifier.value)
    raise RowRefused(
        f"The Patient has no identifier of system {settings.FHIR_MRN_SYSTEM} or of type MR."
    )


def _name(patient: Patient) -> str:
    for name in patient.name or []:
        parts = [*(name.given or []), name.family]
        text = name.text or " ".join(str(part) for part in parts if part)
        if text:
            return str(text)
    raise RowRefused("The Patient has no name.")
