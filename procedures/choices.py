from django.db import models

from accounts.choices import ClinicalRole


class Approach(models.TextChoices):
    MINIMALLY_INVASIVE = "minimally_invasive", "Minimally invasive"
    OPEN = "open", "Open"
    # A template for any operation, whatever its approach (the WHO checklist on its own).
    ANY = "any", "Any"


class Phase(models.TextChoices):
    """The WHO Surgical Safety Checklist frame around the operative steps, in clinical order:
    anaesthesia is induced after the Sign In, and the patient positioned and draped before the
    Time Out, so those steps have a phase of their own between the two."""

    SIGN_IN = "sign_in", "Sign In"
    INDUCTION = "induction", "Induction and positioning"
    TIME_OUT = "time_out", "Time Out"
    PROCEDURE = "procedure", "Procedure"
    SIGN_OUT = "sign_out", "Sign Out"


# Who is to confirm a step (any OR staff member may record it): a person's clinical role.
StepRole = ClinicalRole


class Milestone(models.TextChoices):
    """A moment of the operation that the record times, marked on the step that attests it
    (blank on the steps that mark none). The review checks the Time Out against the incision."""

    INCISION = "incision", "Incision (skin opened)"


class StepKind(models.TextChoices):
    CHECK = "check", "Check"
    YES_NO = "yes_no", "Yes / no"
    NUMBER = "number", "Number"
    CHOICE = "choice", "Choice"
    TEXT = "text", "Text"
    IMPLANTS = "implants", "Implant log"
    # The side the person sees (on the consent, the skin mark, the images): left, right or
    # both, never filled in from the case. The workflow compares it with the case's side
    # (``checklists.workflow.sides``); a disagreement holds the whole case.
    SIDE = "side", "Side seen (left / right / both)"


class VersionStatus(models.TextChoices):
    """Where a version of a procedure stands: a draft is edited and used for no case; the one
    published version is what new cases are made from; a retired one was published once, and
    the cases made from it keep it."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


PHASE_ORDER = {phase: index for index, phase in enumerate(Phase.values)}
