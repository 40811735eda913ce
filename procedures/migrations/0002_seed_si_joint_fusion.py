"""Installs the two SI joint fusion procedures of si-joint-fusion.md, with all their steps.

The step data is frozen here on purpose: a migration must mean the same thing forever, so it
imports no app code. A later change to a seeded procedure is a new migration (or an edit in the
admin). Running the forward function again updates in place and never duplicates anything.
"""

from decimal import Decimal

from django.db import migrations

YES_NO_NA = ["Yes", "No", "Not applicable"]

# Keys left out of a step take the model's defaults: required, not a hard stop, not per side,
# no unit, bounds, options or answers.
SIGN_IN = (
    "sign_in",
    (
        {
            "title": "Patient identity confirmed (name, date of birth, MRN)",
            "kind": "check",
            "role": "nurse",
            "hard_stop": True,
            "guidance": (
                "Ask the patient to state their name and date of birth; compare them and the "
                "MRN with the wristband, the consent form and the case on screen."
            ),
        },
        {
            "title": "Procedure and side confirmed against consent",
            "kind": "check",
            "role": "nurse",
            "guidance": "The procedure and side on the consent form must match the case.",
        },
        {
            "title": "Consent form signed",
            "kind": "yes_no",
            "role": "nurse",
            "expected_answer": "yes",
            "guidance": "Signed and dated by the patient and the surgeon, naming procedure and side.",
        },
        {
            "title": "Operative site marked",
            "kind": "choice",
            "role": "surgeon",
            "options": YES_NO_NA,
            "guidance": "The mark must be on the operative side and stay visible after draping.",
        },
        {
            "title": "Implants, imaging and special equipment available and matched to the patient",
            "kind": "check",
            "role": "nurse",
            "guidance": (
                "Implant system trays and the planned sizes in the room, in date; the fluoroscope "
                "works."
            ),
        },
        {
            "title": "Anaesthesia machine and medication check complete",
            "kind": "check",
            "role": "anaesthetist",
        },
        {
            "title": "Pulse oximeter on and working",
            "kind": "check",
            "role": "anaesthetist",
        },
        {
            "title": "Known allergy",
            "kind": "yes_no",
            "role": "anaesthetist",
            "details_required_for": "yes",
            "guidance": "If yes, write the allergen and the reaction in the note.",
        },
        {
            "title": "Difficult airway or aspiration risk",
            "kind": "yes_no",
            "role": "anaesthetist",
            "guidance": "If yes, confirm that the equipment and help are at hand.",
        },
        {
            "title": "Risk of blood loss over 500 ml",
            "kind": "yes_no",
            "role": "anaesthetist",
            "guidance": "If yes, confirm IV access and that fluids and blood are planned.",
        },
    ),
)

TIME_OUT = (
    "time_out",
    (
        {
            "title": "Team members introduced by name and role",
            "kind": "check",
            "role": "nurse",
        },
        {
            "title": "Patient, procedure, side and position confirmed aloud",
            "kind": "check",
            "role": "surgeon",
            "hard_stop": True,
            "guidance": "The whole team stops and agrees out loud before the skin is incised.",
        },
        {
            "title": "Antibiotic prophylaxis given within the last 60 minutes",
            "kind": "choice",
            "role": "anaesthetist",
            "options": YES_NO_NA,
            "guidance": "Check the time it was given on the anaesthetic chart.",
        },
        {
            "title": "Surgeon: critical or non-routine steps, expected duration and blood loss reviewed",
            "kind": "check",
            "role": "surgeon",
        },
        {
            "title": "Anaesthesia: patient-specific concerns reviewed",
            "kind": "check",
            "role": "anaesthetist",
        },
        {
            "title": "Nursing: sterility (indicator results) confirmed; equipment issues raised",
            "kind": "check",
            "role": "nurse",
            "guidance": "Check the sterility indicator of every tray and pack opened.",
        },
        {
            "title": "Essential imaging displayed; fluoroscope positioned",
            "kind": "check",
            "role": "nurse",
            "guidance": "This patient's images, correct side, on screen.",
        },
    ),
)

MINIMALLY_INVASIVE = (
    "procedure",
    (
        {
            "title": "General anaesthesia induced",
            "kind": "check",
            "role": "anaesthetist",
        },
        {
            "title": "Patient positioned prone; fluoroscopic inlet, outlet and lateral views obtained",
            "kind": "check",
            "role": "surgeon",
        },
        {
            "title": "Lateral buttock incision made",
            "kind": "number",
            "role": "surgeon",
            "per_side": True,
            "unit": "cm",
            "min_value": Decimal("3"),
            "max_value": Decimal("5"),
            "guidance": "Record the incision length in centimetres.",
        },
        {
            "title": "Gluteal muscles dissected down to the ilium",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
        {
            "title": "Guide pin placed through the ilium; position confirmed on fluoroscopy",
            "kind": "check",
            "role": "surgeon",
            "hard_stop": True,
            "per_side": True,
            "guidance": "No drilling until the surgeon confirms the pin position on fluoroscopy.",
        },
        {
            "title": (
                "Pathway drilled (and broached, where the implant system needs it) through the "
                "ilium toward the sacrum"
            ),
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
        {
            "title": "Implants passed across the joint and secured (screws/pins)",
            "kind": "implants",
            "role": "surgeon",
            "per_side": True,
            "guidance": (
                "Scan each implant's barcode as it is opened. Usually three per side, at least two."
            ),
        },
        {
            "title": "Final implant positions confirmed on fluoroscopy (inlet, outlet, lateral)",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
        {
            "title": "Site irrigated with saline; no loose bone or tissue left",
            "kind": "check",
            "role": "scrub",
            "per_side": True,
        },
        {
            "title": "Wound closed with sutures",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
    ),
)

OPEN = (
    "procedure",
    (
        {
            "title": "General anaesthesia induced",
            "kind": "check",
            "role": "anaesthetist",
        },
        {
            "title": "Lower back incision made; SI joint exposed",
            "kind": "number",
            "role": "surgeon",
            "per_side": True,
            "unit": "cm",
            "guidance": "Record the incision length in centimetres.",
        },
        {
            "title": "Bone block removed to reach the sacral surface",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
        {
            "title": "Cartilage removed from the sacral surface",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
        {
            "title": "Bone block replaced",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
        {
            "title": "Joint fixed with plates and screws",
            "kind": "implants",
            "role": "surgeon",
            "per_side": True,
            "guidance": "Scan each plate's and screw's barcode as it is opened.",
        },
        {
            "title": "Site irrigated with saline",
            "kind": "check",
            "role": "scrub",
            "per_side": True,
        },
        {
            "title": "Wound closed",
            "kind": "check",
            "role": "surgeon",
            "per_side": True,
        },
    ),
)

SIGN_OUT = (
    "sign_out",
    (
        {
            "title": "Procedure performed recorded",
            "kind": "text",
            "role": "nurse",
            "default_is_procedure_title": True,
            "guidance": "Change the text if the operation differed from the one planned.",
        },
        {
            "title": "Instrument, sponge and needle counts correct",
            "kind": "yes_no",
            "role": "scrub",
            "expected_answer": "yes",
            "guidance": "Counted by the scrub and the circulating nurse together.",
        },
        {
            "title": "Specimens labelled",
            "kind": "choice",
            "role": "nurse",
            "required": False,
            "options": YES_NO_NA,
            "guidance": "Read the label aloud, including the patient's name.",
        },
        {
            "title": "Equipment problems to report",
            "kind": "yes_no",
            "role": "nurse",
            "details_required_for": "yes",
            "guidance": "If yes, describe the problem and the equipment in the note.",
        },
        {
            "title": "Key concerns for recovery handed over",
            "kind": "text",
            "role": "surgeon",
        },
    ),
)

BACKGROUND = (
    "The sacroiliac (SI) joint joins the sacrum to the ilium; its dysfunction is estimated to "
    "cause 15–30 % of low back pain. When medication, exercise and injections fail, the joint is "
    "fused, aiming at less pain, better daily function and less disability."
)

PROCEDURES = (
    {
        "slug": "si-fusion-minimally-invasive",
        "title": "SI joint fusion — minimally invasive (lateral transiliac)",
        "approach": "minimally_invasive",
        "description": (
            f"{BACKGROUND} Minimally invasive lateral transiliac fusion: through a small lateral "
            "buttock incision and under fluoroscopy, implants are passed through the ilium across "
            "the joint into the sacrum."
        ),
        "phases": (SIGN_IN, TIME_OUT, MINIMALLY_INVASIVE, SIGN_OUT),
    },
    {
        "slug": "si-fusion-open",
        "title": "SI joint fusion — open",
        "approach": "open",
        "description": (
            f"{BACKGROUND} Open fusion: the joint is exposed through a lower back incision, a bone "
            "block is removed to reach the sacral surface and its cartilage, the block is replaced "
            "and the joint is fixed with plates and screws."
        ),
        "phases": (SIGN_IN, TIME_OUT, OPEN, SIGN_OUT),
    },
)


def seed_procedures(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    Step = apps.get_model("procedures", "Step")
    for spec in PROCEDURES:
        procedure, _ = Procedure.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "approach": spec["approach"],
                "description": spec["description"],
            },
        )
        position = 0
        for phase, steps in spec["phases"]:
            for step in steps:
                position += 1
                Step.objects.update_or_create(
                    procedure=procedure,
                    position=position,
                    defaults={
                        "phase": phase,
                        "title": step["title"],
                        "guidance": step.get("guidance", ""),
                        "role": step["role"],
                        "kind": step["kind"],
                        "required": step.get("required", True),
                        "hard_stop": step.get("hard_stop", False),
                        "per_side": step.get("per_side", False),
                        "unit": step.get("unit", ""),
                        "min_value": step.get("min_value"),
                        "max_value": step.get("max_value"),
                        "options": list(step.get("options", [])),
                        "expected_answer": step.get("expected_answer", ""),
                        "details_required_for": step.get("details_required_for", ""),
                        "default_value": (
                            spec["title"] if step.get("default_is_procedure_title") else ""
                        ),
                    },
                )


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    # Unapplying keeps the procedures: cases may point at them (PROTECT), and applying again is
    # safe because the seed updates in place.
    operations = [migrations.RunPython(seed_procedures, migrations.RunPython.noop)]
