"""A procedure's version as a FHIR Questionnaire and back (procedures.questionnaire, the
export_procedure and import_procedure commands): each seeded procedure exported and imported
again gives a draft identical to it field by field; a file the rules refuse is refused with its
reason, and nothing is written."""

import io
import json
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.R4B.questionnaire import Questionnaire

from procedures.choices import VersionStatus
from procedures.imports import import_questionnaire, kept_message
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.questionnaire import (
    APPROACH,
    MAX_QUANTITY,
    MAX_VALUE,
    MIN_QUANTITY,
    MIN_VALUE,
    UNIT_OPTION,
    QuestionnaireRefused,
    questionnaire,
)
from procedures.versions import COPIED_FIELDS, start_draft
from tests.conftest import make_procedure

SEEDED = ["si-fusion-minimally-invasive", "si-fusion-open", "who-surgical-safety-checklist"]
OURS = "urn:sitracker:fhir:"
PROCEDURE_FIELDS = ("title", "slug", "approach", "description")


def export(slug: str, *args: str) -> str:
    out = io.StringIO()
    call_command("export_procedure", slug, *args, stdout=out)
    return out.getvalue()


def steps_of(version: ProcedureVersion) -> list[dict]:
    return [
        {name: getattr(step, name) for name in COPIED_FIELDS}
        for step in version.steps.order_by("position")
    ]


def counts() -> tuple[int, int, int]:
    return (Procedure.objects.count(), ProcedureVersion.objects.count(), Step.objects.count())


def items(document: dict) -> list[dict]:
    return [item for group in document["item"] for item in group["item"]]


def extensions(item: dict) -> dict:
    return {e["url"]: e for e in item.get("extension", [])}


def test_the_seeded_procedures_are_all_here(db):
    assert sorted(Procedure.objects.values_list("slug", flat=True)) == SEEDED


@pytest.mark.parametrize("slug", SEEDED)
def test_export_then_import_gives_a_draft_identical_field_by_field(slug, administrator):
    procedure = Procedure.objects.get(slug=slug)
    published = procedure.published_version()
    text = export(slug)

    imported = import_questionnaire(text, by=administrator, source="export.json")

    draft = imported.draft
    assert imported.kept == []  # the same procedure: nothing differs
    assert (draft.procedure, draft.status) == (procedure, VersionStatus.DRAFT)
    assert draft.number == published.number + 1
    assert steps_of(draft) == steps_of(published)
    assert draft.created_by == administrator
    logged = LogEntry.objects.get(object_id=str(procedure.pk))
    assert logged.change_message == f"Draft version {draft.number} imported from export.json."


@pytest.mark.parametrize("slug", SEEDED)
def test_import_makes_a_new_procedure_identical_to_the_one_exported(slug, tmp_path: Path, db):
    procedure = Procedure.objects.get(slug=slug)
    published = steps_of(procedure.published_version())
    identity = {name: getattr(procedure, name) for name in PROCEDURE_FIELDS}
    file = tmp_path / "procedure.json"
    file.write_text(export(slug))
    procedure.delete()  # as in another hospital, which has never had it
    out = io.StringIO()

    call_command("import_procedure", str(file), stdout=out)

    created = Procedure.objects.get(slug=slug)
    assert {name: getattr(created, name) for name in PROCEDURE_FIELDS} == identity
    [draft] = created.versions.all()
    assert (draft.number, draft.status, draft.created_by) == (1, VersionStatus.DRAFT, None)
    assert steps_of(draft) == published
    assert f"draft version 1 with {len(published)} steps" in out.getvalue()


def test_every_export_validates_as_a_questionnaire(db):
    for slug in SEEDED:
        document = Questionnaire.model_validate_json(export(slug))
        assert document.status == "active"
        assert [i.value for i in document.identifier] == [slug]


def test_items_carry_type_required_options_bounds_and_our_extensions(db):
    procedure = make_procedure(
        {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True, "role": "nurse"},
        {"title": "Consent", "phase": "sign_in", "kind": "yes_no", "expected_answer": "yes"},
        {"title": "Time out done", "phase": "time_out", "gates_later_phases": True},
        {
            "title": "Incision length",
            "kind": "number",
            "unit": "cm",
            "min_value": 3,
            "max_value": 5,
            "role": "surgeon",
            "per_side": True,
            "milestone": "incision",
            "guidance": "Measure at the skin.",
        },
        {"title": "Blood loss", "kind": "number", "min_value": 0, "required": False},
        {"title": "Approach", "kind": "choice", "options": ["Lateral", "Posterior"]},
        {"title": "Notes", "kind": "text", "default_value": "None", "required": False},
        {"title": "Implants placed", "kind": "implants", "required": False},
    )
    version = procedure.published_version()

    document = json.loads(questionnaire(version).model_dump_json())

    assert [g["linkId"] for g in document["item"]] == ["sign_in", "time_out", "procedure"]
    by_title = {item["text"]: item for item in items(document)}
    steps = {step.title: step for step in version.steps.all()}
    assert {t: item["linkId"] for t, item in by_title.items()} == {
        t: str(step.key) for t, step in steps.items()
    }
    assert {t: item["type"] for t, item in by_title.items()} == {
        "Identity confirmed": "boolean",
        "Consent": "boolean",
        "Time out done": "boolean",
        "Incision length": "quantity",
        "Blood loss": "decimal",
        "Approach": "choice",
        "Notes": "string",
        "Implants placed": "reference",
    }
    incision = by_title["Incision length"]
    found = extensions(incision)
    assert found[UNIT_OPTION]["valueCoding"]["code"] == "cm"
    assert (
        found[MIN_QUANTITY]["valueQuantity"]["value"],
        found[MAX_QUANTITY]["valueQuantity"]["value"],
    ) == (3, 5)
    assert found[f"{OURS}step-role"]["valueCode"] == "surgeon"
    assert found[f"{OURS}step-per-side"]["valueBoolean"] is True
    assert found[f"{OURS}step-milestone"]["valueCode"] == "incision"
    assert found[f"{OURS}step-kind"]["valueCode"] == "number"
    assert incision["item"][0]["text"] == "Measure at the skin."
    assert extensions(by_title["Blood loss"])[MIN_VALUE]["valueDecimal"] == 0
    assert MAX_VALUE not in extensions(by_title["Blood loss"])
    assert by_title["Blood loss"]["required"] is False
    assert [o["valueString"] for o in by_title["Approach"]["answerOption"]] == [
        "Lateral",
        "Posterior",
    ]
    assert by_title["Notes"]["initial"] == [{"valueString": "None"}]
    consent = extensions(by_title["Consent"])
    assert consent[f"{OURS}step-expected-answer"]["valueString"] == "yes"
    assert extensions(by_title["Identity confirmed"])[f"{OURS}step-hard-stop"]["valueBoolean"]


def test_gates_and_hard_stops_become_enable_when(db):
    procedure = make_procedure(
        {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
        {"title": "Site marked", "phase": "sign_in"},
        {"title": "Team introduced", "phase": "time_out", "gates_later_phases": True},
        {"title": "Antibiotics", "phase": "time_out", "gates_later_phases": True},
        {"title": "Incision", "phase": "procedure"},
    )
    keys = {s.title: str(s.key) for s in procedure.published_version().steps.all()}

    document = json.loads(questionnaire(procedure.published_version()).model_dump_json())

    groups = {group["linkId"]: group for group in document["item"]}
    assert "enableWhen" not in groups["sign_in"]
    [identity, site] = groups["sign_in"]["item"]
    assert "enableWhen" not in identity
    assert site["enableWhen"] == [
        {"question": keys["Identity confirmed"], "operator": "exists", "answerBoolean": True}
    ]
    assert [c["question"] for c in groups["time_out"]["enableWhen"]] == [keys["Identity confirmed"]]
    assert [c["question"] for c in groups["procedure"]["enableWhen"]] == [
        keys["Identity confirmed"],
        keys["Team introduced"],
        keys["Antibiotics"],
    ]
    assert groups["procedure"]["enableBehavior"] == "all"


def test_export_names_a_version_by_its_number(administrator):
    procedure = Procedure.objects.get(slug="si-fusion-open")
    draft = start_draft(procedure=procedure, by=administrator)

    document = json.loads(export("si-fusion-open", "--version", str(draft.number)))

    assert (document["version"], document["status"]) == (str(draft.number), "draft")


def test_export_refuses_an_unknown_procedure_or_version(db):
    with pytest.raises(CommandError, match="no procedure “knee”"):
        export("knee")
    with pytest.raises(CommandError, match="has no version 9"):
        export("si-fusion-open", "--version", "9")


def test_import_refuses_while_the_procedure_has_a_draft(administrator):
    procedure = Procedure.objects.get(slug="si-fusion-open")
    start_draft(procedure=procedure, by=administrator)
    before = counts()

    with pytest.raises(QuestionnaireRefused, match="already has a draft"):
        import_questionnaire(export("si-fusion-open"), by=administrator)

    assert counts() == before


def bad(document: dict, change) -> str:
    change(document)
    return json.dumps(document)


def first_item(document: dict) -> dict:
    return document["item"][0]["item"][0]


def number_item(document: dict) -> dict:
    return next(
        i for i in items(document) if extensions(i)[f"{OURS}step-kind"]["valueCode"] == "number"
    )


def set_extension(item: dict, url: str, **value) -> None:
    item["extension"] = [e for e in item.get("extension", []) if e["url"] != url]
    item["extension"].append({"url": url, **value})


BAD_FILES = {
    "not json": (lambda d: None, "not JSON text"),
    "wrong resource": (lambda d: d.update(resourceType="Patient"), "resourceType is Patient"),
    "invalid fhir": (lambda d: d.update(date="last Tuesday"), "not valid FHIR R4B"),
    "unknown kind": (
        lambda d: set_extension(first_item(d), f"{OURS}step-kind", valueCode="photo"),
        "kind of answer (photo) is not one SI Tracker knows",
    ),
    "unknown phase": (lambda d: d["item"][0].update(linkId="debrief", extension=[]), "one phase"),
    "bounds reversed": (
        lambda d: set_extension(number_item(d), MIN_QUANTITY, valueQuantity={"value": 9}),
        "minimum cannot be greater than the maximum",
    ),
    "bounds too large": (
        lambda d: set_extension(number_item(d), MAX_QUANTITY, valueQuantity={"value": 1e12}),
        "max_value",
    ),
    "unknown role": (
        lambda d: set_extension(first_item(d), f"{OURS}step-role", valueCode="porter"),
        "role “porter”",
    ),
    "no steps": (lambda d: d.update(item=[]), "has no steps"),
    "no title": (lambda d: d.pop("title"), "no title"),
    "phases out of order": (
        lambda d: d["item"][-1]["item"].append(d["item"][0]["item"].pop()),
        "Phases must run in order",
    ),
    "same linkId twice": (
        lambda d: d["item"][0]["item"].append(dict(first_item(d), extension=[])),
        "same linkId",
    ),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_written(name, tmp_path, administrator):
    change, reason = BAD_FILES[name]
    document = json.loads(export("si-fusion-minimally-invasive"))
    text = "{not json" if name == "not json" else bad(document, change)
    file = tmp_path / "bad.json"
    file.write_text(text)
    Procedure.objects.filter(slug="si-fusion-minimally-invasive").delete()
    before = counts()

    with pytest.raises(CommandError) as refused:
        call_command("import_procedure", str(file), "--by", administrator.username)

    assert reason in str(refused.value)
    assert "Nothing was imported" in str(refused.value)
    assert counts() == before
    assert not LogEntry.objects.exists()


def test_a_questionnaire_from_elsewhere_becomes_a_draft_in_its_items_order(administrator):
    foreign = {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": "Cataract surgery",
        "item": [
            {
                "linkId": "time_out",
                "type": "group",
                "item": [
                    {
                        "linkId": "1",
                        "text": "Lens power confirmed",
                        "type": "boolean",
                        "required": True,
                    },
                    {"linkId": "2", "text": "Axial length", "type": "decimal", "required": True},
                ],
            }
        ],
    }

    draft = import_questionnaire(json.dumps(foreign), by=administrator).draft

    assert (draft.procedure.slug, draft.procedure.approach) == ("cataract-surgery", "any")
    steps = list(draft.steps.order_by("position"))
    assert [(s.position, s.title, s.kind, s.role) for s in steps] == [
        (1, "Lens power confirmed", "yes_no", "nurse"),
        (2, "Axial length", "number", "nurse"),
    ]


def test_import_never_publishes(administrator):
    procedure = Procedure.objects.get(slug="si-fusion-open")
    published = procedure.published_version()

    draft = import_questionnaire(export("si-fusion-open"), by=administrator).draft

    assert draft.status == VersionStatus.DRAFT
    assert procedure.published_version() == published


def test_import_refuses_a_file_that_cannot_be_read(tmp_path, db):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_procedure", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_procedure", str(tmp_path / "missing.json"), "--by", "nobody")


def test_import_into_an_existing_procedure_keeps_its_title_description_and_approach(
    administrator,
):
    """A version holds steps only: the file's identity would reach every case at once,
    unpublished, so the procedure keeps its own and the import says which differed."""
    procedure = Procedure.objects.get(slug="si-fusion-open")
    document = json.loads(export("si-fusion-open"))
    document["title"] = "SI fusion, the other hospital's name"
    document["description"] = "Their words."
    document["extension"] = [{"url": APPROACH, "valueCode": "any"}]

    imported = import_questionnaire(json.dumps(document), by=administrator)

    assert imported.kept == ["title", "description", "approach"]
    assert "title, description and approach differ" in kept_message(imported.kept)
    procedure.refresh_from_db()
    assert (procedure.title, procedure.approach) == ("SI joint fusion — open", "open")
    assert imported.draft.procedure == procedure
