"""What generated cases are made of: synthetic names, rooms, the implants of each approach,
and the answers and notes a real team gives now and then (not applicable, "yes" on a yes/no
step, recovery notes, review comments, reasons for cancelling).

Synthetic patients have MRNs starting ``SYN-`` and are not anyone real.
"""

from checklists.bulk.cast import MI, OPEN

MRN_PREFIX = "SYN-"
ROOMS = ("OR 1", "OR 2", "OR 3", "OR 4", "OR 5", "OR 7")

FIRST_NAMES = [
    "Alice",
    "Amir",
    "Beatriz",
    "Chen",
    "Dmitri",
    "Eva",
    "Farah",
    "Gustav",
    "Hana",
    "Idris",
    "Joan",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Olu",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
]
LAST_NAMES = [
    "Abbott",
    "Bauer",
    "Carvalho",
    "Dimitriou",
    "Eriksen",
    "Fischer",
    "Gallagher",
    "Haddad",
    "Ito",
    "Jovanovic",
    "Kaur",
    "Lindqvist",
    "Mensah",
    "Novak",
    "Okafor",
    "Pereira",
    "Quist",
    "Russo",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zielinski",
]

IMPLANTS = {
    MI: ("SI-BONE", "iFuse-3D", ("7.0 x 40", "7.0 x 45", "7.0 x 50", "7.0 x 55"), (2, 3, 3, 3, 4)),
    OPEN: ("DePuy Synthes", "SI fusion plate", ("3.5 x 60", "3.5 x 70"), (1, 2, 2)),
}
GTIN_BASE = {MI: "0081234567890", OPEN: "0081234567891"}

# Not-applicable answers with their reasons (probability, reason), by step title.
NOT_APPLICABLE = {
    "Specimens labelled": (0.35, "No specimen taken"),
    "Bone block replaced": (0.04, "Allograft dowel used instead of the bone block"),
    "Pathway drilled (and broached, where the implant system needs it) through the ilium "
    "toward the sacrum": (0.03, "Self-harvesting implant system: no separate drilling"),
    "Essential imaging displayed; fluoroscope positioned": (
        0.01,
        "Navigation used; no fluoroscopy",
    ),
}
YES_ANSWERS = {  # yes/no steps answered "yes" now and then, with the note "yes" calls for
    "Known allergy": (0.12, "Penicillin: rash"),
    "Difficult airway or aspiration risk": (0.05, ""),
    "Risk of blood loss over 500 ml": (0.08, ""),
    "Equipment problems to report": (0.04, "Fluoroscope monitor flickered; reported to biomed"),
}
RECOVERY_NOTES = (
    "Routine recovery; analgesia as charted.",
    "Mobilise with physiotherapy day 1; touch-weight bearing 3 weeks.",
    "Watch the wound; diabetic patient.",
    "Standard post-operative care.",
)
REVIEW_COMMENTS = ("", "", "", "Complete and consistent.", "Checked against the theatre log.")
CANCEL_REASONS = ("Patient unwell on the day", "Consent withdrawn", "No ICU bed", "Equipment fault")
