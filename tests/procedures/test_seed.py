"""The procedures a fresh database ships with, checked row by row against si-joint-fusion.md."""

import importlib

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from procedures.models import Procedure, Step
from tests.checklists.conftest import migrate, migrate_to_latest

MINIMALLY_INVASIVE = "SI joint fusion — minimally invasive (lateral transiliac)"
OPEN = "SI joint fusion — open"
WHO = "WHO Surgical Safety Checklist — any procedure"  # 0010; its steps: test_who_checklist.py
MI_SLUG, OPEN_SLUG = "si-fusion-minimally-invasive", "si-fusion-open"
CLINICAL_ORDER = "procedures.migrations.0006_induction_phase_and_time_out_gate"
BEFORE_CLINICAL_ORDER = ("procedures", "0005_step_gates_later_phases")

# The tables of si-joint-fusion.md, in the model's words. "answers" holds what a kind needs
# beyond its name: unit and bounds, options, the expected answer, the answer that needs details,
# the default text ("<procedure title>" stands for the procedure's own title).
SIGN_IN = """
phase   | title                                                                        | kind   | role         | hard_stop | per_side | required | answers
sign_in | Patient identity confirmed (name, date of birth, MRN)                        | check  | nurse        | yes       | no       | yes      |
sign_in | Procedure and side confirmed against consent                                 | side   | nurse        | no        | no       | yes      |
sign_in | Consent form signed                                                          | yes_no | nurse        | no        | no       | yes      | expected=yes
sign_in | Operative site marked                                                        | side   | surgeon      | no        | no       | yes      |
sign_in | Implants, imaging and special equipment available and matched to the patient | check  | nurse        | no        | no       | yes      |
sign_in | Anaesthesia machine and medication check complete                            | check  | anaesthetist | no        | no       | yes      |
sign_in | Pulse oximeter on and working                                                | check  | anaesthetist | no        | no       | yes      |
sign_in | Known allergy                                                                | yes_no | anaesthetist | no        | no       | yes      | details_for=yes
sign_in | Difficult airway or aspiration risk                                          | yes_no | anaesthetist | no        | no       | yes      |
sign_in | Risk of blood loss over 500 ml                                               | yes_no | anaesthetist | no        | no       | yes      |
"""  # noqa: E501

INDUCTION_MINIMALLY_INVASIVE = """
phase     | title                                                                           | kind  | role         | hard_stop | per_side | required | answers
induction | General anaesthesia induced                                                     | check | anaesthetist | no        | no       | yes      |
induction | Patient positioned prone; fluoroscopic inlet, outlet and lateral views obtained | check | surgeon      | no        | no       | yes      |
"""  # noqa: E501

INDUCTION_OPEN = """
phase     | title                       | kind  | role         | hard_stop | per_side | required | answers
induction | General anaesthesia induced | check | anaesthetist | no        | no       | yes      |
induction | Patient positioned prone    | check | surgeon      | no        | no       | yes      |
"""  # noqa: E501

TIME_OUT = """
phase    | title                                                                             | kind   | role         | hard_stop | per_side | required | answers
time_out | Team members introduced by name and role                                          | check  | nurse        | no        | no       | yes      |
time_out | Patient, procedure, side and position confirmed aloud                             | check  | surgeon      | yes       | no       | yes      |
time_out | Antibiotic prophylaxis given within the last 60 minutes                           | choice | anaesthetist | no        | no       | yes      | options=Yes/No/Not applicable
time_out | Surgeon: critical or non-routine steps, expected duration and blood loss reviewed | check  | surgeon      | no        | no       | yes      |
time_out | Anaesthesia: patient-specific concerns reviewed                                   | check  | anaesthetist | no        | no       | yes      |
time_out | Nursing: sterility (indicator results) confirmed; equipment issues raised         | check  | nurse        | no        | no       | yes      |
time_out | Essential imaging displayed; fluoroscope positioned                               | side   | nurse        | no        | no       | yes      |
"""  # noqa: E501

PROCEDURE_MINIMALLY_INVASIVE = """
phase     | title                                                                                                 | kind     | role         | hard_stop | per_side | required | answers
procedure | Lateral buttock incision made                                                                         | number   | surgeon      | no        | yes      | yes      | unit=cm min=3 max=5
procedure | Gluteal muscles dissected down to the ilium                                                           | check    | surgeon      | no        | yes      | yes      |
procedure | Guide pin placed through the ilium; position confirmed on fluoroscopy                                 | check    | surgeon      | yes       | yes      | yes      |
procedure | Pathway drilled (and broached, where the implant system needs it) through the ilium toward the sacrum | check    | surgeon      | no        | yes      | yes      |
procedure | Implants passed across the joint and secured (screws/pins)                                            | implants | surgeon      | no        | yes      | yes      |
procedure | Final implant positions confirmed on fluoroscopy (inlet, outlet, lateral)                             | check    | surgeon      | no        | yes      | yes      |
procedure | Site irrigated with saline; no loose bone or tissue left                                              | check    | scrub        | no        | yes      | yes      |
procedure | Wound closed with sutures                                                                             | check    | surgeon      | no        | yes      | yes      |
"""  # noqa: E501

PROCEDURE_OPEN = """
phase     | title                                          | kind     | role         | hard_stop | per_side | required | answers
procedure | Lower back incision made; SI joint exposed     | number   | surgeon      | no        | yes      | yes      | unit=cm
procedure | Bone block removed to reach the sacral surface | check    | surgeon      | no        | yes      | yes      |
procedure | Cartilage removed from the sacral surface      | check    | surgeon      | no        | yes      | yes      |
procedure | Bone block replaced                            | check    | surgeon      | no        | yes      | yes      |
procedure | Joint fixed with plates and screws             | implants | surgeon      | no        | yes      | yes      |
procedure | Site irrigated with saline                     | check    | scrub        | no        | yes      | yes      |
procedure | Wound closed                                   | check    | surgeon      | no        | yes      | yes      |
"""  # noqa: E501

SIGN_OUT = """
phase    | title                                        | kind   | role    | hard_stop | per_side | required | answers
sign_out | Procedure performed recorded                 | text   | nurse   | no        | no       | yes      | default=<procedure title>
sign_out | Instrument, sponge and needle counts correct | yes_no | scrub   | no        | no       | yes      | expected=yes
sign_out | Specimens labelled                           | choice | nurse   | no        | no       | no       | options=Yes/No/Not applicable
sign_out | Equipment problems to report                 | yes_no | nurse   | no        | no       | yes      | details_for=yes
sign_out | Key concerns for recovery handed over        | text   | surgeon | no        | no       | yes      |
"""  # noqa: E501


def rows(*tables: str) -> list[tuple[str, ...]]:
    """The body rows of pipe tables, header lines dropped, cells stripped."""
    return [
        tuple(cell.strip() for cell in line.split("|"))
        for table in tables
        for line in table.strip().splitlines()[1:]
    ]


def row_of(step: Step) -> tuple[str, ...]:
    """A step written the way the tables above write it."""
    answers = []
    if step.unit:
        answers.append(f"unit={step.unit}")
    if step.min_value is not None:
        answers.append(f"min={step.min_value.normalize():f}")
    if step.max_value is not None:
        answers.append(f"max={step.max_value.normalize():f}")
    if step.options:
        answers.append(f"options={'/'.join(step.options)}")
    if step.expected_answer:
        answers.append(f"expected={step.expected_answer}")
    if step.details_required_for:
        answers.append(f"details_for={step.details_required_for}")
    if step.default_value:
        default = step.default_value.replace(step.version.procedure.title, "<procedure title>")
        answers.append(f"default={default}")
    return (
        step.phase,
        step.title,
        step.kind,
        step.role,
        *("yes" if flag else "no" for flag in (step.hard_stop, step.per_side, step.required)),
        " ".join(answers),
    )


def apps_at(target: tuple[str, str]):
    """The models as they were at migration ``target``."""
    return MigrationExecutor(connection).loader.project_state(target).apps


def old_steps():
    """The steps as they were before versions (migrated back to ``BEFORE_CLINICAL_ORDER``)."""
    return apps_at(BEFORE_CLINICAL_ORDER).get_model("procedures", "Step").objects


def old_titles_of(title: str) -> list[str]:
    """The procedure's step titles by position, before versions."""
    steps = old_steps().filter(procedure__title=title).order_by("position")
    return list(steps.values_list("title", flat=True))


def steps_of(title: str) -> list[Step]:
    """The steps of the procedure's published version, in order."""
    steps = Step.objects.filter(version__procedure__title=title, version__status="published")
    return list(steps.select_related("version__procedure").order_by("position"))


def test_a_fresh_database_has_both_si_joint_fusion_procedures_and_the_who_checklist(db):
    assert sorted(Procedure.objects.values_list("title", "slug", "approach", "active")) == [
        (MINIMALLY_INVASIVE, "si-fusion-minimally-invasive", "minimally_invasive", True),
        (OPEN, "si-fusion-open", "open", True),
        (WHO, "who-surgical-safety-checklist", "any", True),
    ]


def test_each_procedure_has_a_description(db):
    for procedure in Procedure.objects.filter(slug__in=(MI_SLUG, OPEN_SLUG)):
        assert "sacroiliac" in procedure.description
    assert "WHO Surgical Safety Checklist (2009)" in Procedure.objects.get(title=WHO).description


def test_the_minimally_invasive_procedure_has_every_step_of_the_document_in_order(db):
    steps = steps_of(MINIMALLY_INVASIVE)
    assert [row_of(step) for step in steps] == rows(
        SIGN_IN, INDUCTION_MINIMALLY_INVASIVE, TIME_OUT, PROCEDURE_MINIMALLY_INVASIVE, SIGN_OUT
    )
    assert [step.position for step in steps] == list(range(1, 33))


def test_the_open_procedure_has_every_step_of_the_document_in_order(db):
    steps = steps_of(OPEN)
    assert [row_of(step) for step in steps] == rows(
        SIGN_IN, INDUCTION_OPEN, TIME_OUT, PROCEDURE_OPEN, SIGN_OUT
    )
    assert [step.position for step in steps] == list(range(1, 32))


def test_the_whole_time_out_gates_the_later_phases_in_both_procedures(db):
    for title in (MINIMALLY_INVASIVE, OPEN):
        gating = [step.title for step in steps_of(title) if step.gates_later_phases]
        assert gating == [row[1] for row in rows(TIME_OUT)]


def test_the_procedure_performed_defaults_to_the_procedures_own_title(db):
    for title in (MINIMALLY_INVASIVE, OPEN):
        step = Step.objects.get(
            version__procedure__title=title,
            version__status="published",
            title="Procedure performed recorded",
        )
        assert step.default_value == title


def test_every_seeded_step_passes_the_models_own_validation(db):
    for step in Step.objects.all():
        step.full_clean()


def test_some_steps_carry_guidance_for_the_nurse(db):
    published = Step.objects.filter(version__status="published")
    guided = published.exclude(guidance="")
    assert guided.filter(title="Consent form signed").count() == 2
    assert 0 < guided.count() < published.count()


def test_each_seeded_procedure_marks_its_incision_step(db):
    marked = Step.objects.filter(milestone="incision", version__status="published")
    marked = marked.order_by("version__procedure__title")
    assert [(step.version.procedure.title, step.title) for step in marked] == [
        (MINIMALLY_INVASIVE, "Lateral buttock incision made"),
        (OPEN, "Lower back incision made; SI joint exposed"),
    ]


def test_the_steps_go_back_and_return_and_each_seed_runs_again_harmlessly(
    reference_data,
):
    # One trip back and forth for what needs no change on the way: each trip replays some forty
    # migrations of every app, the costliest thing the suite does.
    # The SI fusion steps keep their rows; the WHO checklist (0010) goes and comes back anew,
    # and so does the version of the sides seen (0012), made from them again.
    si_fusion = Step.objects.filter(
        version__procedure__slug__in=(MI_SLUG, OPEN_SLUG), version__number=1
    )
    kept = dict(si_fusion.exclude(title="Patient positioned prone").values_list("pk", "title"))

    migrate(BEFORE_CLINICAL_ORDER)
    try:
        assert not old_steps().filter(phase="induction").exists()
        assert not old_steps().filter(gates_later_phases=True).exists()
        titles = old_titles_of(OPEN)  # as 0002 seeded them: the Time Out, then the anaesthesia
        assert titles[10:12] == [
            "Team members introduced by name and role",
            "Patient, procedure, side and position confirmed aloud",
        ]
        assert (titles[17], len(titles)) == ("General anaesthesia induced", 30)

        # The seed run again on the procedures as it left them duplicates nothing.
        migration = importlib.import_module("procedures.migrations.0002_seed_si_joint_fusion")
        before = list(old_steps().order_by("pk").values_list("pk", "procedure__slug", "position"))
        migration.seed_procedures(apps_at(BEFORE_CLINICAL_ORDER), None)
        assert Procedure.objects.count() == 2
        assert old_steps().count() == 62
        after = list(old_steps().order_by("pk").values_list("pk", "procedure__slug", "position"))
        assert after == before

        # Running the clinical order again changes nothing.
        clinical_order = ("procedures", CLINICAL_ORDER.rsplit(".", 1)[1])
        migrate(clinical_order)
        old = apps_at(clinical_order)
        steps = old.get_model("procedures", "Step").objects.order_by("pk")
        before = list(steps.values_list("pk", "phase", "position", "title"))
        importlib.import_module(CLINICAL_ORDER).into_clinical_order(old, None)
        assert list(steps.values_list("pk", "phase", "position", "title")) == before
    finally:
        migrate_to_latest()

    test_the_minimally_invasive_procedure_has_every_step_of_the_document_in_order(None)
    test_the_open_procedure_has_every_step_of_the_document_in_order(None)
    assert dict(Step.objects.filter(pk__in=kept).values_list("pk", "title")) == kept


def test_templates_an_administrator_edited_are_put_in_order_as_far_as_they_go(reference_data):
    """Steps are found by slug and title: a renamed or deleted one is left alone, and the
    positions still run through the phases in order."""
    migrate(BEFORE_CLINICAL_ORDER)
    try:
        old = apps_at(BEFORE_CLINICAL_ORDER)
        steps = old.get_model("procedures", "Step").objects.filter(procedure__slug=MI_SLUG)
        steps.filter(title="General anaesthesia induced").delete()
        steps.filter(title__startswith="Patient positioned").update(
            title="Patient prone on the Jackson table"
        )
        Procedure.objects.filter(slug=OPEN_SLUG).update(slug="si-fusion-open-local")
    finally:
        migrate_to_latest()

    mi = steps_of(MINIMALLY_INVASIVE)
    assert not [step for step in mi if step.phase == "induction"]
    assert "Patient prone on the Jackson table" in [s.title for s in mi if s.phase == "procedure"]
    assert [step.position for step in mi] == list(range(1, 32))
    assert all(s.gates_later_phases == (s.phase == "time_out") for s in mi)
    local = steps_of(OPEN)  # its slug is not the seeded one: nothing moved, nothing gates
    assert [step.title for step in local if step.phase == "induction"] == []
    assert "Patient positioned prone" not in [step.title for step in local]
    assert not [step for step in local if step.gates_later_phases]
