"""Who takes part in generated cases, and the procedures' steps as the workflow snapshots them.

Made once per run: the synthetic staff (created if missing, with unusable passwords, so nobody
can sign in as them) and, for each seeded SI joint fusion procedure and laterality, its steps
snapshotted by the workflow's own ``snapshot_of``.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group

from accounts import roles
from accounts.models import StaffProfile
from accounts.people import display_name
from checklists.choices import SIDED
from checklists.models import Case, CaseStep
from checklists.workflow.cases import snapshot_of
from procedures.choices import StepRole
from procedures.models import Procedure

MI = "si-fusion-minimally-invasive"
OPEN = "si-fusion-open"

# (username, first name, last name, speed: a factor on procedure time)
SURGEONS = (
    ("syn.surgeon.adeyemi", "Tolu", "Adeyemi", 0.85),
    ("syn.surgeon.brandt", "Klara", "Brandt", 1.0),
    ("syn.surgeon.costa", "Rui", "Costa", 1.15),
    ("syn.surgeon.dubois", "Marc", "Dubois", 0.95),
    ("syn.surgeon.evans", "Megan", "Evans", 1.3),
    ("syn.surgeon.fujita", "Ken", "Fujita", 1.05),
)
NURSES = (
    ("syn.nurse.garcia", "Lucia", "Garcia"),
    ("syn.nurse.hughes", "Owen", "Hughes"),
    ("syn.nurse.iqbal", "Sana", "Iqbal"),
    ("syn.nurse.jensen", "Freja", "Jensen"),
)
SCRUBS = (
    ("syn.scrub.kowalski", "Piotr", "Kowalski"),
    ("syn.scrub.lee", "Min", "Lee"),
    ("syn.scrub.moreau", "Lea", "Moreau"),
)
ANAESTHETISTS = (
    ("syn.anaes.nakamura", "Yui", "Nakamura"),
    ("syn.anaes.obi", "Chidi", "Obi"),
    ("syn.anaes.petrov", "Ivan", "Petrov"),
)
REVIEWERS = (("syn.reviewer.quinn", "Aoife", "Quinn"), ("syn.reviewer.rossi", "Marco", "Rossi"))


@dataclass(frozen=True)
class Person:
    """A user as generated rows name them: the id, and the name a signature prints."""

    pk: int
    name: str


def person_of(user: AbstractBaseUser) -> Person:
    return Person(pk=user.pk, name=display_name(user))


@dataclass(frozen=True)
class Layout:
    """One procedure done on one laterality: its steps as the workflow snapshots them
    (unsaved ``CaseStep`` rows, positions and sides set), shared by every case of the kind."""

    procedure_id: int
    version_id: int
    slug: str
    title: str
    laterality: str
    steps: tuple[CaseStep, ...]


def layout_of(procedure: Procedure, laterality: str, *, gated: bool = True) -> Layout:
    """The procedure's published steps as a case made now snapshots them; not ``gated``: as a
    case made before its phases gated the later ones (before procedures 0005) has them."""
    version = procedure.published_version()
    if version is None:
        raise LookupError(f"{procedure.title} has no published version.")
    template = list(version.steps.order_by("position"))
    steps = tuple(snapshot_of(Case(laterality=laterality), template))
    if not gated:
        for step in steps:
            step.gates_later_phases = False
    return Layout(procedure.pk, version.pk, procedure.slug, procedure.title, laterality, steps)


@dataclass(frozen=True)
class Cast:
    surgeons: tuple[tuple[Person, float], ...]
    by_role: dict[str, tuple[Person, ...]]
    reviewers: tuple[Person, ...]
    layouts: dict[tuple[str, str], Layout]
    # The same, as cases made before the Time Out gated the procedure phase have them: only
    # such a case can have its Time Out recorded after the incision (the history has a few).
    ungated_layouts: dict[tuple[str, str], Layout]


def prepare_cast() -> Cast:
    """Create the synthetic staff if missing (unusable passwords) and snapshot both procedures."""
    surgeons = tuple(
        (_person(username, first, last, roles.SURGEON, StepRole.SURGEON), speed)
        for username, first, last, speed in SURGEONS
    )
    staff: dict[str, tuple[Person, ...]] = {
        role: tuple(_person(*names, roles.OR_STAFF, role) for names in people)
        for role, people in (
            (StepRole.NURSE, NURSES),
            (StepRole.SCRUB, SCRUBS),
            (StepRole.ANAESTHETIST, ANAESTHETISTS),
        )
    }
    reviewers = tuple(_person(*names, roles.REVIEWER) for names in REVIEWERS)
    layouts, ungated = {}, {}
    for procedure in Procedure.objects.filter(slug__in=(MI, OPEN)):
        for laterality in SIDED:
            layouts[procedure.slug, laterality] = layout_of(procedure, laterality)
            ungated[procedure.slug, laterality] = layout_of(procedure, laterality, gated=False)
    if len(layouts) != 2 * len(SIDED):
        raise LookupError("The seeded SI joint fusion procedures are missing: run migrate.")
    return Cast(
        surgeons=surgeons,
        by_role=staff,
        reviewers=reviewers,
        layouts=layouts,
        ungated_layouts=ungated,
    )


def _person(username: str, first: str, last: str, role: str, clinical_role: str = "") -> Person:
    """A synthetic person of ``role`` (a group) who, in theatre, is a ``clinical_role``: each
    records the steps of their own role, as ``workflow.record_step`` would see it."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
    if clinical_role:
        StaffProfile.objects.update_or_create(user=user, defaults={"clinical_role": clinical_role})
    return person_of(user)
