"""The codes, extensions and names SI Tracker's FHIR resources are made with (``api.fhir``,
``api.fhir_answers``): FHIR's version and media type, SNOMED CT's codes for the site, the sides
and the surgeon, and the stable ids every resource is named by."""

import uuid

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource

from checklists.choices import Laterality
from checklists.models import Case

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
SNOMED = "http://snomed.info/sct"
GS1_ISSUER = "http://hl7.org/fhir/NamingSystem/gs1-di"
# mCODE's laterality qualifier: the one published extension whose context is Procedure.bodySite.
LATERALITY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
SACROILIAC_JOINT = Coding(system=SNOMED, code="39723000", display="Sacroiliac joint structure")
SIDES = {
    Laterality.LEFT: Coding(system=SNOMED, code="7771000", display="Left"),
    Laterality.RIGHT: Coding(system=SNOMED, code="24028007", display="Right"),
    Laterality.BILATERAL: Coding(system=SNOMED, code="51440002", display="Right and left"),
}
SURGEON = Coding(system=SNOMED, code="304292004", display="Surgeon")
IMPLANTED = Coding(
    system="http://hl7.org/fhir/device-action", code="implanted", display="Implanted"
)
# ASTM E1762-95: the signature types of FHIR's Signature.type.
VERIFICATION = Coding(
    system="urn:iso-astm:E1762-95:2013",
    code="1.2.840.10065.1.12.1.5",
    display="Verification Signature",
)
VERIFIER = Coding(
    system="http://terminology.hl7.org/CodeSystem/provenance-participant-type",
    code="verifier",
    display="Verifier",
)
MEDICAL_RECORD_NUMBER = Coding(
    system="http://terminology.hl7.org/CodeSystem/v2-0203",
    code="MR",
    display="Medical record number",
)
# The names of this server's resources: a uuid from the case's id and the resource's place, so a
# Bundle read twice names its resources the same.
NAMESPACE = uuid.UUID("6f0e4f1e-3c55-4d1c-9a53-2f8f1d5b7a10")


def resource_id(case: Case, kind: str, key: object = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"case/{case.pk}/{kind}/{key}"))


def full_url(resource: Resource) -> str:
    return f"urn:uuid:{resource.id}"


def reference(resource: Resource, display: str = "") -> Reference:
    return Reference(reference=full_url(resource), display=display or None)
