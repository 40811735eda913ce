"""Shared blocks (procedures.blocks): the WHO phases defined once; publishing a block publishes a
new version of every procedure that includes it, with the block's note, in the publisher's
name; cases keep the version they were made from; the migration that made the seeded phases
blocks, forward and back."""

import pytest
from django.contrib.admin.models import LogEntry

from procedures.blocks import (
    include_block,
    including,
    publish_block,
    start_block_draft,
    with_block,
)
from procedures.choices import Phase, StepKind, StepRole, VersionStatus
from procedures.models import Block, BlockStep, Procedure, Step
from procedures.versions import DraftRefused, PublishRefused, publish, start_draft
from tests.conftest import make_case, record_phase
from tests.procedures.test_admin import make_procedure

MI, OPEN, WHO = "si-fusion-minimally-invasive", "si-fusion-open", "who-surgical-safety-checklist"
BLOCKS = {
    "who-sign-in": ("WHO Sign In", Phase.SIGN_IN, 7, [WHO]),
    "who-time-out": ("WHO Time Out", Phase.TIME_OUT, 7, [WHO]),
    "who-sign-out": ("WHO Sign Out", Phase.SIGN_OUT, 5, [WHO]),
    "si-fusion-sign-in": ("SI joint fusion Sign In", Phase.SIGN_IN, 10, [MI, OPEN]),
    "si-fusion-time-out": ("SI joint fusion Time Out", Phase.TIME_OUT, 7, [MI, OPEN]),
    "si-fusion-sign-out": ("SI joint fusion Sign Out", Phase.SIGN_OUT, 4, [MI, OPEN]),
}


def block(slug: str) -> Block:
    return Block.objects.get(slug=slug)


def published_steps(slug: str) -> list[Step]:
    version = Procedure.objects.get(slug=slug).published_version()
    return list(version.steps.select_related("block_step__version__block").order_by("position"))


def edit_block(slug: str, *, by, change: dict[str, dict] | None = None, add: dict | None = None):
    """The block's draft with some steps' fields changed and one step added at the end."""
    draft = start_block_draft(block=block(slug), by=by)
    for title, fields in (change or {}).items():
        draft.steps.filter(title=title).update(**fields)
    if add:
        top = draft.steps.count()
        BlockStep.objects.create(version=draft, position=top + 1, phase=block(slug).phase, **add)
    return draft


# The migration's blocks


def test_the_seeded_phases_are_six_published_blocks_each_included_where_it_was_the_same(db):
    for slug, (title, phase, count, procedures) in BLOCKS.items():
        found = block(slug)
        version = found.published_version()
        assert (found.title, found.phase, version.number) == (title, phase, 1)
        assert version.steps.count() == count
        assert [v.procedure.slug for v in including(found)] == sorted(
            procedures, key=lambda s: Procedure.objects.get(slug=s).title
        )


def test_a_step_each_si_procedure_words_its_own_way_stays_its_own(db):
    for slug in (MI, OPEN):
        own = [
            s.title for s in published_steps(slug) if s.phase == Phase.SIGN_OUT and not s.block_step
        ]
        assert own == ["Procedure performed recorded"]  # its default names the procedure


def test_the_migration_changed_no_steps_content_and_added_no_version(db):
    for slug in (MI, OPEN, WHO):
        procedure = Procedure.objects.get(slug=slug)
        steps = published_steps(slug)
        assert procedure.published_version().number == (1 if slug == WHO else 2)
        for step in steps:
            if step.block_step is not None:
                assert (step.title, step.kind, step.role, step.guidance) == (
                    step.block_step.title,
                    step.block_step.kind,
                    step.block_step.role,
                    step.block_step.guidance,
                )


def test_going_back_removes_the_blocks_and_coming_forward_makes_them_again(reference_data):
    from tests.checklists.conftest import migrate, migrate_to_latest

    keys = [s.key for s in published_steps(WHO)]
    migrate(("procedures", "0013_shared_blocks"))
    assert not Step.objects.filter(block_step__isnull=False).exists()
    assert not Block.objects.exists()
    migrate(("procedures", "0012_si_fusion_sides_seen"))
    migrate_to_latest()

    assert sorted(Block.objects.values_list("slug", flat=True)) == sorted(BLOCKS)
    steps = published_steps(WHO)
    assert [s.key for s in steps] == keys
    assert all(s.block_step is not None for s in steps)


# Publishing a block


def test_publishing_a_block_publishes_each_procedure_that_includes_it(
    administrator, nurse, surgeon
):
    before = make_case(Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon)
    record_phase(before, Phase.SIGN_IN, nurse)  # in progress
    old = {slug: Procedure.objects.get(slug=slug).published_version() for slug in (MI, OPEN)}
    title = "Team members introduced by name and role"
    draft = edit_block(
        "si-fusion-time-out",
        by=administrator,
        change={title: {"title": "Every team member introduced by name and role"}},
    )

    republished = publish_block(version=draft, by=administrator, note="Wording of the WHO.")

    draft.refresh_from_db()
    assert (draft.status, draft.published_by) == (VersionStatus.PUBLISHED, administrator)
    assert sorted(v.procedure.slug for v in republished) == sorted([MI, OPEN])
    for version in republished:
        slug = version.procedure.slug
        assert version.number == old[slug].number + 1
        assert (version.status, version.published_by, version.created_by) == (
            VersionStatus.PUBLISHED,
            administrator,
            administrator,
        )
        assert version.change_note == "SI joint fusion Time Out version 2: Wording of the WHO."
        old[slug].refresh_from_db()
        assert old[slug].status == VersionStatus.RETIRED
        titles = [s.title for s in version.steps.order_by("position")]
        assert "Every team member introduced by name and role" in titles
        assert title not in titles
        # The copy keeps its key: the procedure's diff shows one step changed.
        renamed = version.steps.get(title__startswith="Every team member")
        assert renamed.key == old[slug].steps.get(title=title).key
        assert renamed.block_step.version == draft
        assert LogEntry.objects.filter(
            object_id=str(version.procedure_id),
            change_message=f"Published version {version.number}: {version.change_note}",
        ).exists()
    # The case in progress keeps its version and its steps; a new case has the new ones.
    before.refresh_from_db()
    assert before.procedure_version == old[MI]
    assert before.steps.filter(title=title).exists()
    after = make_case(Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon)
    assert after.steps.filter(title__startswith="Every team member").exists()
    assert not after.steps.filter(title=title).exists()


def test_a_step_added_to_a_block_goes_after_its_last_step_and_the_procedures_own_stay(
    administrator,
):
    old = published_steps(MI)
    draft = edit_block(
        "si-fusion-sign-out",
        by=administrator,
        add={"title": "Implant card given", "role": StepRole.NURSE, "kind": StepKind.CHECK},
    )

    publish_block(version=draft, by=administrator, note="Implant card.")

    new = published_steps(MI)
    assert [s.title for s in new] == [
        *(s.title for s in old),
        "Implant card given",
    ]
    own = next(s for s in new if s.title == "Procedure performed recorded")
    assert own.block_step is None  # the procedure's own Sign Out step stays first, its own


def test_a_step_removed_from_a_block_leaves_each_procedure(administrator):
    draft = edit_block("who-sign-out", by=administrator)
    draft.steps.filter(title="Equipment problems to be addressed").delete()

    [version] = publish_block(version=draft, by=administrator, note="Asked at the debrief.")

    titles = list(version.steps.values_list("title", flat=True))
    assert "Equipment problems to be addressed" not in titles
    assert len(titles) == 18
    assert list(version.steps.order_by("position").values_list("position", flat=True)) == list(
        range(1, 19)
    )


def test_a_block_is_held_back_while_a_procedure_that_includes_it_has_a_draft(administrator):
    start_draft(procedure=Procedure.objects.get(slug=OPEN), by=administrator)
    draft = edit_block("si-fusion-sign-in", by=administrator)

    with pytest.raises(PublishRefused, match=r"SI joint fusion — open \(version 3\)"):
        publish_block(version=draft, by=administrator, note="Anything.")

    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert Procedure.objects.get(slug=MI).published_version().number == 2


@pytest.mark.parametrize(
    ("note", "change", "message"),
    [
        ("  ", {}, "Write a change note"),
        ("Gate.", {"gates_later_phases": False}, "Gates later phases"),
    ],
)
def test_a_block_that_breaks_a_rule_is_refused_whole(administrator, note, change, message):
    draft = edit_block("who-time-out", by=administrator)
    draft.steps.filter(position=1).update(**change)

    with pytest.raises(PublishRefused, match=message):
        publish_block(version=draft, by=administrator, note=note)

    assert Procedure.objects.get(slug=WHO).published_version().number == 1
    assert block("who-time-out").published_version().number == 1


def test_a_procedures_copy_of_a_block_step_cannot_be_published_changed(administrator):
    draft = start_draft(procedure=Procedure.objects.get(slug=WHO), by=administrator)
    draft.steps.filter(title="Site marked").update(title="Site marked (or not)")

    with pytest.raises(PublishRefused, match="edit it in the block"):
        publish(version=draft, by=administrator, note="Wording.")


# Including a block


def test_a_procedure_draft_includes_a_block_after_its_earlier_phases(administrator):
    procedure = make_procedure(
        "Hand check",
        [(Phase.SIGN_IN, "Identity confirmed"), (Phase.PROCEDURE, "Tourniquet on")],
    )
    draft = start_draft(procedure=procedure, by=administrator)

    include_block(draft=draft, block=block("who-time-out"))

    steps = list(draft.steps.order_by("position"))
    assert [s.title for s in steps][:2] == [
        "Identity confirmed",
        "All team members introduced by name and role",
    ]
    assert steps[-1].title == "Tourniquet on"
    assert len(steps) == 9
    publish(version=draft, by=administrator, note="The WHO Time Out.")
    assert procedure in [v.procedure for v in including(block("who-time-out"))]
    with pytest.raises(DraftRefused, match="includes WHO Time Out already"):
        include_block(
            draft=start_draft(procedure=procedure, by=administrator), block=block("who-time-out")
        )


def test_with_block_fills_the_old_steps_places_in_the_blocks_new_order(db):
    steps = published_steps(WHO)
    time_out = block("who-time-out").published_version()
    new_order = list(time_out.steps.order_by("-position"))  # reversed

    result = with_block(steps, block_id=time_out.block_id, block_steps=new_order)

    titles = [s.title for s in result]
    assert titles[7:14] == [s.title for s in new_order]
    assert titles[:7] == [s.title for s in steps[:7]]
    assert [s.position for s in result] == list(range(1, 20))
