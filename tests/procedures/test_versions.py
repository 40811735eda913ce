"""A procedure's versions: a draft started from the published steps, published with a change
note and logged; cases made from the published version only, each keeping the one it was made
from."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import F

from checklists.errors import RuleViolation
from checklists.forms import NewCaseForm
from procedures.choices import Phase, StepKind, StepRole, VersionStatus
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.versions import PublishRefused, publish, start_draft
from tests.conftest import make_case
from tests.procedures.test_admin import knee_check, make_procedure

__all__ = ["knee_check"]  # the fixture, used by name below

MI = "si-fusion-minimally-invasive"


def edit_draft(
    procedure: Procedure,
    *,
    by,
    order: list[str] | None = None,
    add: dict | None = None,
    change: dict[str, dict] | None = None,
) -> ProcedureVersion:
    """Change the procedure's draft (started if need be) as the editor would save it: the steps
    kept in ``order`` (by title; the others removed), one step added after the one ``add``
    names, fields of some steps changed. Positions are numbered 1..N again."""
    draft = start_draft(procedure=procedure, by=by)
    steps = Step.objects.filter(version=draft)
    for title, fields in (change or {}).items():
        steps.filter(title=title).update(**fields)
    titles = list(order or steps.order_by("position").values_list("title", flat=True))
    steps.exclude(title__in=titles).delete()
    steps.update(position=F("position") + 1000)
    if add:
        fields = {"phase": Phase.PROCEDURE, "kind": StepKind.CHECK} | add
        after = fields.pop("after")
        titles.insert(titles.index(after) + 1, fields["title"])
        Step.objects.create(version=draft, position=999, **fields)
    for position, title in enumerate(titles, start=1):
        steps.filter(title=title).update(position=position)
    return draft


def publish_as(procedure: Procedure, *, by, note: str) -> ProcedureVersion:
    draft = procedure.versions.get(status=VersionStatus.DRAFT)
    return publish(version=draft, by=by, note=note)


def template_titles(case) -> list[str]:
    return list(case.steps.order_by("position").values_list("title", flat=True))


# Versions from the migrations


def test_each_seeded_procedure_is_its_version_1_published(db):
    # The WHO checklist, seeded with versions already, has its own: test_who_checklist.py.
    for procedure in Procedure.objects.filter(slug__startswith="si-fusion-"):
        # Version 2 (procedures 0012) asks for the sides seen: test_sides_seen_are_version_2.
        version, _ = procedure.versions.order_by("number")
        assert (version.number, version.status) == (1, VersionStatus.RETIRED)
        assert version.change_note == "The procedure as it was when versions began."
        assert version.published_at is not None
        assert version.steps.count() > 30
        keys = list(version.steps.values_list("key", flat=True))
        assert len(set(keys)) == len(keys)


def test_the_sides_seen_are_each_seeded_procedures_version_2_published(db):
    for procedure in Procedure.objects.filter(slug__startswith="si-fusion-"):
        first, second = procedure.versions.order_by("number")
        assert (second.number, second.status) == (2, VersionStatus.PUBLISHED)
        assert second.change_note.startswith("Sides must agree: ")
        changed = {
            step.title: step.kind
            for step in second.steps.all()
            if first.steps.get(key=step.key).kind != step.kind
        }
        assert changed == {
            "Procedure and side confirmed against consent": "side",
            "Operative site marked": "side",
            "Essential imaging displayed; fluoroscope positioned": "side",
        }
        assert second.steps.count() == first.steps.count()


# A draft


def test_a_draft_starts_as_a_copy_of_the_published_steps(administrator, knee_check):
    draft = start_draft(procedure=knee_check, by=administrator)

    published = knee_check.published_version()
    fields = ["key", "position", "phase", "title", "role", "kind", "required", "options"]
    assert list(draft.steps.values_list(*fields)) == list(published.steps.values_list(*fields))
    assert (draft.number, draft.status, draft.created_by) == (2, VersionStatus.DRAFT, administrator)
    assert start_draft(procedure=knee_check, by=administrator) == draft  # one draft at a time


def test_a_draft_is_never_used_for_a_case(administrator, nurse, surgeon, knee_check):
    edit_draft(knee_check, by=administrator, change={"Incision made": {"title": "Draft title"}})

    case = make_case(knee_check, actor=nurse, surgeon=surgeon)

    assert case.procedure_version == knee_check.published_version()
    assert "Draft title" not in template_titles(case)
    assert "Incision made" in template_titles(case)


def test_a_procedure_never_published_cannot_be_scheduled(administrator, nurse, surgeon):
    procedure = Procedure.objects.create(title="New check", slug="new-check", approach="open")
    start_draft(procedure=procedure, by=administrator)

    with pytest.raises(RuleViolation, match="has no published version yet"):
        make_case(procedure, actor=nurse, surgeon=surgeon)
    offered = NewCaseForm().fields["procedure"].queryset  # type: ignore[attr-defined]
    assert procedure not in offered
    assert Procedure.objects.get(slug=MI) in offered


# Publishing


def test_a_case_made_before_publishing_keeps_its_steps_and_one_after_has_the_new(
    administrator, nurse, surgeon, knee_check
):
    before = make_case(knee_check, actor=nurse, surgeon=surgeon)
    first = before.procedure_version
    edit_draft(
        knee_check,
        by=administrator,
        add={"after": "Incision made", "title": "Drain placed", "role": StepRole.SURGEON},
    )

    second = publish_as(knee_check, by=administrator, note="Drain check added.")
    after = make_case(knee_check, actor=nurse, surgeon=surgeon)

    assert "Drain placed" not in template_titles(before)
    assert template_titles(after)[2:5] == ["Incision made", "Drain placed", "Wound closed"]
    before.refresh_from_db()
    assert (before.procedure_version, after.procedure_version) == (first, second)
    first.refresh_from_db()
    assert first.status == VersionStatus.RETIRED


def test_publishing_records_who_when_and_why_in_the_admins_log(administrator, knee_check):
    edit_draft(knee_check, by=administrator, change={"Wound closed": {"required": False}})

    version = publish_as(knee_check, by=administrator, note="Closure optional for day cases.")

    assert (version.status, version.published_by, version.change_note) == (
        VersionStatus.PUBLISHED,
        administrator,
        "Closure optional for day cases.",
    )
    entry = LogEntry.objects.filter(action_flag=CHANGE).latest("action_time")
    assert (entry.user, entry.object_id, entry.object_repr) == (
        administrator,
        str(knee_check.pk),
        "Knee check",
    )
    assert entry.change_message == "Published version 2: Closure optional for day cases."
    assert knee_check.published_version() == version


def test_a_published_version_is_not_published_again(administrator, knee_check):
    with pytest.raises(PublishRefused, match="only a draft can be published"):
        publish(version=knee_check.published_version(), by=administrator, note="Again.")


def test_publishing_needs_a_change_note(administrator, knee_check):
    draft = start_draft(procedure=knee_check, by=administrator)
    with pytest.raises(PublishRefused, match="Write a change note"):
        publish(version=draft, by=administrator, note="   ")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_a_draft_whose_steps_break_the_rules_is_not_published(administrator, knee_check):
    # Written behind the editor's back: publishing checks the steps again.
    draft = edit_draft(
        knee_check,
        by=administrator,
        order=["Identity confirmed", "Counts correct", "Side confirmed aloud", "Incision made"],
    )
    with pytest.raises(PublishRefused, match="Phases must run in order"):
        publish(version=draft, by=administrator, note="Out of order.")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert knee_check.published_version().number == 1


def test_a_retired_version_keeps_its_cases(administrator, nurse, surgeon):
    procedure = make_procedure("Hip check", [(Phase.SIGN_IN, "Identity confirmed")])
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    edit_draft(procedure, by=administrator, change={"Identity confirmed": {"title": "Wristband"}})
    publish_as(procedure, by=administrator, note="Wording.")

    assert list(case.procedure_version.cases.all()) == [case]
    assert template_titles(case) == ["Identity confirmed"]


# Going back before versions, and forward again


def test_going_back_keeps_the_published_steps_and_coming_back_makes_them_version_1(
    reference_data, administrator, nurse, surgeon
):
    from tests.checklists.conftest import migrate, migrate_to_latest

    procedure = make_procedure("Hip check", [(Phase.SIGN_IN, "Identity confirmed")])
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    edit_draft(procedure, by=administrator, change={"Identity confirmed": {"title": "Wristband"}})
    publish_as(procedure, by=administrator, note="Wording.")
    edit_draft(procedure, by=administrator, change={"Wristband": {"title": "Draft only"}})

    migrate(("procedures", "0006_induction_phase_and_time_out_gate"))
    migrate_to_latest()

    [version] = ProcedureVersion.objects.filter(procedure=procedure)
    assert (version.number, version.status) == (1, VersionStatus.PUBLISHED)
    assert list(version.steps.values_list("title", flat=True)) == ["Wristband"]
    case.refresh_from_db()
    assert case.procedure_version == version
    assert template_titles(case) == ["Identity confirmed"]  # its own copy, as always
