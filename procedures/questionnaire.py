"""A version of a procedure as a FHIR R4 Questionnaire, and back: how a template moves between
hospitals (``manage.py export_procedure`` and ``import_procedure``, the admin's export and
import, and ``/fhir/Questionnaire/<version id>``). Built and read with ``fhir.resources``' R4B
models, which validate every element; nothing here assembles JSON by hand.

The Questionnaire names its procedure by an identifier (system ``urn:sitracker:procedure``, the
procedure's slug) and its version by ``version``; its title is the procedure's. Its items are one
group per phase, in the WHO checklist's order (linkId: the phase's code), each holding its
steps in order, one item per step:

- ``linkId``: the step's key, the same through every version of the procedure;
- ``text``: the title; the guidance as a child display item shown as help (itemControl help);
- ``type`` from the step's answer: check and yes/no ``boolean``, number ``decimal`` (``quantity``
  when it has a unit), choice ``choice`` (its options as ``answerOption``), text ``string`` (its
  default words as ``initial``), implant log ``reference`` (to the Devices placed);
- ``required``; the bounds by FHIR's ``minValue``/``maxValue`` (decimal) or SDC's
  ``sdc-questionnaire-minQuantity``/``maxQuantity`` (quantity), the unit by FHIR's
  ``questionnaire-unitOption``;
- ``enableWhen`` where a gate fits: a phase's group is enabled once each step that holds it back
  (a step of an earlier phase that gates the later ones, or a hard stop) has an answer; a step,
  once each hard stop before it in its phase has one. It is derived from the steps' flags, so
  an import reads the flags and not ``enableWhen``.

What FHIR has no element for is carried in SI Tracker's extensions, whose URLs all start with
``urn:sitracker:fhir:`` (``EXTENSIONS`` below lists them): on the Questionnaire, the procedure's
approach; on a phase's group, its phase; on a step, its position, kind of answer, role (who
confirms it), hard stop, gate of the later phases, per side, expected answer, answer that
needs details, and milestone.

Reading a file back gives the procedure and its steps, unsaved and checked by the models' own
rules (``Step.full_clean``, ``check_step_order``): a file they refuse is refused whole, with a
message naming the item, and nothing is written. ``procedures.imports`` writes it as a draft.
"""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
    QuestionnaireItemEnableWhen,
    QuestionnaireItemInitial,
)
from pydantic import ValidationError as ModelError

from procedures.blocks import BlockStepSource, link_copies
from procedures.choices import Approach, Milestone, Phase, StepKind, StepRole, VersionStatus
from procedures.models import (
    BOTH,
    LEFT,
    RIGHT,
    SIDE_ANSWERS,
    Procedure,
    ProcedureVersion,
    Step,
    check_step_order,
)

PROCEDURE_SYSTEM = "urn:sitracker:procedure"
CANONICAL = "urn:sitracker:questionnaire:"
OURS = "urn:sitracker:fhir:"
APPROACH = f"{OURS}procedure-approach"
PHASE = f"{OURS}step-phase"
# A step's flags and words that FHIR has no element for: (field, extension URL, value type).
STEP_EXTENSIONS = (
    ("position", f"{OURS}step-position", "valueInteger"),
    ("kind", f"{OURS}step-kind", "valueCode"),
    ("role", f"{OURS}step-role", "valueCode"),
    ("hard_stop", f"{OURS}step-hard-stop", "valueBoolean"),
    ("gates_later_phases", f"{OURS}step-gates-later-phases", "valueBoolean"),
    ("per_side", f"{OURS}step-per-side", "valueBoolean"),
    ("expected_answer", f"{OURS}step-expected-answer", "valueString"),
    ("details_required_for", f"{OURS}step-details-required-for", "valueString"),
    ("milestone", f"{OURS}step-milestone", "valueCode"),
)
# A copy of a shared block's step names it: a Coding whose system is the block's
# (``urn:sitracker:block:<slug>``), version its version, code the block step's key. An import
# into a database holding that block version links the copy again (``blocks.link_copies``).
BLOCK_STEP = f"{OURS}step-block"
BLOCK_SYSTEM = "urn:sitracker:block:"
EXTENSIONS = (APPROACH, PHASE, BLOCK_STEP, *(url for _, url, _ in STEP_EXTENSIONS))

# FHIR's own extensions (core, and the SDC implementation guide's for a quantity's bounds).
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
MIN_QUANTITY = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-minQuantity"
MAX_QUANTITY = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity"
UNIT_OPTION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
REFERENCE_RESOURCE = "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource"
HELP = Coding(system="http://hl7.org/fhir/questionnaire-item-control", code="help", display="Help")

SNOMED = "http://snomed.info/sct"
SIDE_SEEN = {
    LEFT: Coding(system=SNOMED, code="7771000", display="Left"),
    RIGHT: Coding(system=SNOMED, code="24028007", display="Right"),
    BOTH: Coding(system=SNOMED, code="51440002", display="Right and left"),
}

ITEM_TYPES = {
    StepKind.CHECK: "boolean",
    StepKind.YES_NO: "boolean",
    StepKind.NUMBER: "decimal",
    StepKind.CHOICE: "choice",
    StepKind.TEXT: "string",
    StepKind.IMPLANTS: "reference",
    StepKind.SIDE: "choice",
}
# A Questionnaire from elsewhere, without our kind extension: the kind its item's type asks for.
KINDS_BY_TYPE = {
    "boolean": StepKind.YES_NO,
    "decimal": StepKind.NUMBER,
    "integer": StepKind.NUMBER,
    "quantity": StepKind.NUMBER,
    "choice": StepKind.CHOICE,
    "string": StepKind.TEXT,
    "text": StepKind.TEXT,
}
STATUSES = {
    VersionStatus.DRAFT: "draft",
    VersionStatus.PUBLISHED: "active",
    VersionStatus.RETIRED: "retired",
}
# linkIds from elsewhere (not our keys) become keys the same way on every import.
FOREIGN_KEYS = uuid.UUID("0c9a7f8e-5d2b-4b0e-8f5e-3a1d6c4b2e71")


class QuestionnaireRefused(ValueError):
    """A file that cannot become a draft; the message says why, for the administrator."""


# --- export --------------------------------------------------------------------------------


def questionnaire(version: ProcedureVersion, steps: Iterable[Step] | None = None) -> Questionnaire:
    """The version as a Questionnaire (its id the version's). ``steps``: the version's steps in
    order, when the caller has them already; else one query."""
    procedure = version.procedure
    if steps is None:
        steps = version.steps.select_related("block_step__version__block").order_by("position")
    ordered = list(steps)
    when = version.published_at or version.created_at
    return Questionnaire(
        id=str(version.pk),
        url=f"{CANONICAL}{procedure.slug}",
        identifier=[Identifier(system=PROCEDURE_SYSTEM, value=procedure.slug)],
        version=str(version.number),
        title=procedure.title,
        status=STATUSES[VersionStatus(version.status)],
        date=when,
        approvalDate=version.published_at.date() if version.published_at else None,
        publisher="SI Tracker",
        description=procedure.description or None,
        subjectType=["Patient"],
        extension=[Extension(url=APPROACH, valueCode=procedure.approach)],
        item=phase_groups(ordered) or None,
    )


def phase_groups(steps: list[Step]) -> list[QuestionnaireItem]:
    groups = []
    for phase in Phase.values:
        own = [step for step in steps if step.phase == phase]
        if not own:
            continue
        before = [
            step for step in steps if Phase.values.index(step.phase) < Phase.values.index(phase)
        ]
        holding = [
            step for step in before if step.hard_stop or (step.gates_later_phases and step.required)
        ]
        groups.append(
            QuestionnaireItem(
                linkId=phase,
                text=Phase(phase).label,
                type="group",
                extension=[Extension(url=PHASE, valueCode=phase)],
                **enabled_after(holding),
                item=[
                    step_item(step, hard_stops=[s for s in own[:index] if s.hard_stop])
                    for index, step in enumerate(own)
                ],
            )
        )
    return groups


def enabled_after(steps: list[Step]) -> dict[str, Any]:
    """enableWhen: each of ``steps`` answered (all of them)."""
    if not steps:
        return {}
    conditions = [
        QuestionnaireItemEnableWhen(question=str(step.key), operator="exists", answerBoolean=True)
        for step in steps
    ]
    return {"enableWhen": conditions, "enableBehavior": "all" if len(steps) > 1 else None}


def step_item(step: Step, *, hard_stops: list[Step]) -> QuestionnaireItem:
    extensions = [
        Extension(url=url, **{value: getattr(step, field)})
        for field, url, value in STEP_EXTENSIONS
        if getattr(step, field) not in ("", None)
        and (value != "valueBoolean" or getattr(step, field))
    ]
    kind = StepKind(step.kind)
    item_type = "quantity" if kind == StepKind.NUMBER and step.unit else ITEM_TYPES[kind]
    extensions += bounds(step, item_type)
    if kind == StepKind.IMPLANTS:
        extensions.append(Extension(url=REFERENCE_RESOURCE, valueCode="Device"))
    if step.block_step is not None:
        block_version = step.block_step.version
        source = Coding(
            system=f"{BLOCK_SYSTEM}{block_version.block.slug}",
            version=str(block_version.number),
            code=str(step.block_step.key),
            display=block_version.block.title,
        )
        extensions.append(Extension(url=BLOCK_STEP, valueCoding=source))
    # The guidance: a display item shown as the step's help, as FHIR's itemControl says.
    help_control = CodeableConcept(coding=[HELP])
    guidance = QuestionnaireItem(
        linkId=f"{step.key}-help",
        text=step.guidance or None,
        type="display",
        extension=[Extension(url=ITEM_CONTROL, valueCodeableConcept=help_control)],
    )
    return QuestionnaireItem(
        linkId=str(step.key),
        text=step.title,
        type=item_type,
        required=step.required,
        extension=extensions,
        **enabled_after(hard_stops),
        answerOption=answer_options(step),
        initial=[QuestionnaireItemInitial(valueString=step.default_value)]
        if step.default_value
        else None,
        item=[guidance] if step.guidance else None,
    )


def answer_options(step: Step) -> list[QuestionnaireItemAnswerOption] | None:
    """A choice step's options; a side step's sides, as the SNOMED CT laterality codes its
    QuestionnaireResponse answers with (``api.fhir_terms.SIDES``)."""
    if step.kind == StepKind.SIDE:
        return [QuestionnaireItemAnswerOption(valueCoding=SIDE_SEEN[side]) for side in SIDE_ANSWERS]
    return [QuestionnaireItemAnswerOption(valueString=o) for o in step.options] or None


def bounds(step: Step, item_type: str) -> list[Extension]:
    """A number's unit and limits, by FHIR's extensions for the item's type."""
    if item_type == "decimal":
        return [
            Extension(url=url, valueDecimal=value)
            for url, value in ((MIN_VALUE, step.min_value), (MAX_VALUE, step.max_value))
            if value is not None
        ]
    if item_type != "quantity":
        return []
    unit = Coding(code=step.unit, display=step.unit)
    return [Extension(url=UNIT_OPTION, valueCoding=unit)] + [
        Extension(url=url, valueQuantity=Quantity(value=value, unit=step.unit))
        for url, value in ((MIN_QUANTITY, step.min_value), (MAX_QUANTITY, step.max_value))
        if value is not None
    ]


def chosen_version(procedure: Procedure, number: int | None = None) -> ProcedureVersion:
    """The version to export: the one numbered, else the published one, else the newest."""
    versions = procedure.versions.select_related("procedure")
    if number is not None:
        found = versions.filter(number=number).first()
        if found is None:
            raise ProcedureVersion.DoesNotExist(f"{procedure} has no version {number}.")
        return found
    found = versions.filter(status=VersionStatus.PUBLISHED).first() or versions.first()
    if found is None:
        raise ProcedureVersion.DoesNotExist(f"{procedure} has no version yet.")
    return found


def export_json(version: ProcedureVersion) -> str:
    return questionnaire(version).model_dump_json(indent=2)


# --- import --------------------------------------------------------------------------------


@dataclass
class ImportedProcedure:
    """A file's procedure and steps, checked and unsaved."""

    procedure: Procedure
    steps: list[Step]


def read_questionnaire(data: bytes | str) -> ImportedProcedure:
    """The procedure and steps a Questionnaire file describes, checked by the models' rules;
    QuestionnaireRefused, naming the item and the rule, for anything they refuse."""
    model = parse(data)
    slugs = [i.value for i in model.identifier or [] if i.system == PROCEDURE_SYSTEM and i.value]
    title = (model.title or "").strip()
    if not title:
        raise QuestionnaireRefused("The Questionnaire has no title: it names the procedure.")
    approach = extension_value(model, APPROACH, "valueCode") or Approach.ANY
    procedure = Procedure(
        title=title,
        slug=slugs[0] if slugs else slugify(title)[:100],
        approach=approach,
        description=model.description or "",
    )
    try:
        procedure.full_clean(exclude=["title", "slug"])  # checked against the database later
    except ValidationError as refused:
        raise QuestionnaireRefused(f"The procedure: {messages(refused)}") from None
    steps = [step for group in model.item or [] for step in group_steps(group)]
    if not steps:
        raise QuestionnaireRefused("The Questionnaire has no steps (question items).")
    keys = [step.key for step in steps]
    if len(set(keys)) != len(keys):
        raise QuestionnaireRefused("Two items have the same linkId.")
    for index, step in enumerate(steps, start=1):
        step.position = step.position or index  # a file from elsewhere: in the items' order
    positions = [step.position for step in steps]
    if len(set(positions)) != len(positions):
        raise QuestionnaireRefused("Two steps have the same position (step-position extension).")
    steps.sort(key=lambda step: step.position)
    try:
        check_step_order(steps)
    except ValidationError as refused:
        raise QuestionnaireRefused(messages(refused)) from None
    link_copies(steps)
    return ImportedProcedure(procedure=procedure, steps=steps)


def parse(data: bytes | str) -> Questionnaire:
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        parsed = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise QuestionnaireRefused("The file is not JSON text (UTF-8).") from None
    if not isinstance(parsed, dict) or parsed.get("resourceType") != "Questionnaire":
        found = parsed.get("resourceType") if isinstance(parsed, dict) else None
        raise QuestionnaireRefused(
            f"The JSON is not a FHIR Questionnaire (its resourceType is {found or 'missing'})."
        )
    try:
        return Questionnaire.model_validate(parsed)
    except ModelError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise QuestionnaireRefused(
            f"The Questionnaire is not valid FHIR R4B ({error.error_count()} errors; the first "
            f"at {where}: {first['msg']})."
        ) from None


def group_steps(group: QuestionnaireItem) -> list[Step]:
    phase = extension_value(group, PHASE, "valueCode") or group.linkId
    if group.type != "group" or phase not in Phase.values:
        known = ", ".join(Phase.values)
        raise QuestionnaireRefused(
            f"Item {group.linkId}: each top-level item is a group for one phase, its linkId "
            f"(or the {PHASE} extension) one of {known}."
        )
    return [item_step(item, phase=phase) for item in group.item or []]


def item_step(item: QuestionnaireItem, *, phase: str) -> Step:
    where = f"Item {item.linkId} (“{item.text or ''}”)"
    fields: dict[str, Any] = {}
    for field, url, value in STEP_EXTENSIONS:
        found = extension_value(item, url, value)
        if found is not None:
            fields[field] = found
    kind = fields.get("kind") or KINDS_BY_TYPE.get(item.type or "")
    if kind not in StepKind.values:
        allowed = ", ".join(StepKind.values)
        raise QuestionnaireRefused(
            f"{where}: its kind of answer ({kind or item.type}) is not one SI Tracker knows "
            f"({allowed})."
        )
    for field, choices in (("role", StepRole.values), ("milestone", Milestone.values)):
        if fields.get(field) and fields[field] not in choices:
            raise QuestionnaireRefused(
                f"{where}: {field} “{fields[field]}” is not one of {', '.join(choices)}."
            )
    step = Step(
        key=step_key(item.linkId or ""),
        phase=phase,
        title=(item.text or "").strip(),
        guidance=" ".join(child.text or "" for child in item.item or [] if child.type == "display"),
        required=bool(item.required),
        role=fields.pop("role", StepRole.NURSE),
        # A side step's answers are the sides, whatever its options say.
        options=[]
        if kind == StepKind.SIDE
        else [
            o.valueString or (o.valueCoding and o.valueCoding.display) or ""
            for o in item.answerOption or []
        ],
        default_value=next((i.valueString for i in item.initial or [] if i.valueString), ""),
        unit=unit_of(item),
        min_value=limit(item, MIN_VALUE, MIN_QUANTITY),
        max_value=limit(item, MAX_VALUE, MAX_QUANTITY),
        **{"position": 0, **fields, "kind": kind},
    )
    try:
        step.full_clean(exclude=["version"])
    except ValidationError as refused:
        raise QuestionnaireRefused(f"{where}: {messages(refused)}") from None
    source = extension_value(item, BLOCK_STEP, "valueCoding")
    if source is not None and (source.system or "").startswith(BLOCK_SYSTEM):
        step.source = BlockStepSource(
            slug=source.system.removeprefix(BLOCK_SYSTEM),
            number=source.version or "",
            key=source.code or "",
        )
    return step


def step_key(link_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(link_id)
    except ValueError:
        return uuid.uuid5(FOREIGN_KEYS, link_id)


def unit_of(item: QuestionnaireItem) -> str:
    for extension in item.extension or []:
        if extension.url in (UNIT_OPTION, UNIT) and extension.valueCoding is not None:
            return extension.valueCoding.code or extension.valueCoding.display or ""
    return ""


def limit(item: QuestionnaireItem, decimal_url: str, quantity_url: str) -> Decimal | None:
    for extension in item.extension or []:
        if extension.url == decimal_url:
            value = (
                extension.valueDecimal
                if extension.valueDecimal is not None
                else extension.valueInteger
            )
            return None if value is None else Decimal(str(value))
        if extension.url == quantity_url and extension.valueQuantity is not None:
            value = extension.valueQuantity.value
            return None if value is None else Decimal(str(value))
    return None


def extension_value(element: Any, url: str, value: str) -> Any:
    for extension in element.extension or []:
        if extension.url == url:
            return getattr(extension, value)
    return None


def messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{field}: {' '.join(m for e in errors for m in e.messages)}"
            if field != "__all__"
            else " ".join(m for e in errors for m in e.messages)
            for field, errors in error.error_dict.items()
        )
    return " ".join(error.messages)
