"""A case and its steps: the patient's operation and the checklist rows it is followed through."""

import datetime
import hashlib
import hmac
import re
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.text import validate_identity_text, validate_plain_text
from checklists import payloads
from checklists.choices import CaseStatus, Gate, Laterality, Side, StepStatus
from checklists.models.sealing import audit_key, canonical_json
from procedures.choices import PHASE_ORDER, Milestone, Phase, StepKind, StepRole
from procedures.models import AnswerRules, Procedure, ProcedureVersion, Step


def max_length(model: type[models.Model], field: str) -> int:
    """The most characters ``model.field`` holds. A text's limit lives on its model field
    alone (a TextField's ``max_length`` too, which Django itself checks only in forms): the
    forms and the workflow read it here rather than repeat the number."""
    limit = cast(models.Field, model._meta.get_field(field)).max_length
    assert limit is not None, f"{model.__name__}.{field} has no max_length"
    return limit


def validate_mrn(mrn: str) -> None:
    """An MRN in the hospital's format (``settings.MRN_PATTERN``; by default ASCII letters,
    digits and hyphens), so that two MRNs that look the same are the same."""
    if not re.fullmatch(settings.MRN_PATTERN, mrn):
        raise ValidationError(settings.MRN_FORMAT_MESSAGE, code="mrn_format")


def validate_birth_date(born: datetime.date) -> None:
    """A date of birth is today or earlier (the hospital's today): the new-case form and
    ``workflow.create_case`` both check it with this one validator."""
    if born > timezone.localdate():
        raise ValidationError("The date of birth cannot be in the future.", code="future")


class Case(models.Model):
    """One patient's operation, followed through its checklist.

    Patient identity (MRN, name, birth date) is shown for the Time Out check and in the review
    record; it never goes into URLs, logs or ``__str__``.
    """

    patient_mrn = models.CharField("MRN", max_length=32, validators=[validate_mrn])
    patient_name = models.CharField(
        "patient name", max_length=200, validators=[validate_identity_text]
    )
    patient_birth_date = models.DateField("date of birth", validators=[validate_birth_date])
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="cases")
    # The version of the procedure whose steps the case copied when it was scheduled.
    procedure_version = models.ForeignKey(
        ProcedureVersion, on_delete=models.PROTECT, related_name="cases"
    )
    laterality = models.CharField(max_length=16, choices=Laterality.choices)
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_as_surgeon"
    )
    room = models.CharField(max_length=32, validators=[validate_plain_text])
    scheduled_start = models.DateTimeField()
    # The appointment's id in the hospital's scheduling system, for a case imported from the
    # day's theatre list (``checklists.schedule_import``): a second import finds the case by it.
    # Null for a case scheduled by hand.
    source_appointment_id = models.CharField(
        "appointment id (scheduling system)", max_length=64, null=True, blank=True, unique=True
    )
    status = models.CharField(
        max_length=16, choices=CaseStatus.choices, default=CaseStatus.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField(max_length=2000, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(max_length=2000, blank=True)
    # Bumped by every change: tablets poll it to learn that something moved.
    version = models.PositiveIntegerField(default=0)
    # The newest audit event's sequence number and hash. Kept on the case so that deleting the
    # last events of a chain is caught too, not only a change in the middle of it.
    audit_seq = models.PositiveIntegerField(default=0)
    audit_head = models.CharField(max_length=64, blank=True)
    # Compliance, derived from the steps (definitions in checklists.compliance) and written only
    # by the workflow, when the case closes: at sign-out and cancellation, and again at each
    # amendment. Kept here so the review list, its filters and the dashboard read cases, not
    # millions of step rows. Unknown (null) while the case is open.
    # - time_out_at: the latest recorded_at of the Time Out's done or not-applicable steps;
    # - incision_at: the earliest recorded_at of done procedure steps marked as the incision;
    # - required_complete: no required step is pending, and no step is a Stop;
    # - amended: the signed case was amended (it has an amendment signature).
    time_out_at = models.DateTimeField(null=True, blank=True)
    incision_at = models.DateTimeField(null=True, blank=True)
    required_complete = models.BooleanField(null=True, blank=True)
    # db_default too: servers still on the code before these fields (a rolling deploy) insert
    # cases without naming the column.
    amended = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["scheduled_start", "room"]
        indexes = [
            models.Index(fields=["scheduled_start", "room"]),
            models.Index(fields=["status", "completed_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="case_cancel_has_reason",
            ),
        ]
        permissions = [
            ("record_step", "Can record checklist steps and implants"),
            ("sign_case", "Can sign out and amend a case"),
            ("cancel_case", "Can cancel a case"),
            ("review_case", "Can review completed cases"),
            ("export_case", "Can export cases"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (CaseStatus.SCHEDULED, CaseStatus.IN_PROGRESS)

    @property
    def is_locked(self) -> bool:
        """Signed cases change only by amendment; cancelled ones not at all."""
        return not self.is_open

    def sides(self) -> list[str]:
        """The sides operated on: none for a case without a side."""
        if self.laterality == Laterality.BILATERAL:
            return [Side.LEFT, Side.RIGHT]
        if self.laterality == Laterality.NONE:
            return []
        return [self.laterality]

    def identity_seal(self, *, key_id: str) -> str:
        """HMAC-SHA-256, under the audit key ``key_id``, of the patient's MRN, name and date of
        birth: what the ``case_created`` event keeps of the patient (``payloads.CaseCreated``),
        so that the audit trail proves the identity without holding it. Keyed, so nobody
        without the key can test every plausible MRN and birth date against it."""
        identity = [self.patient_mrn, self.patient_name, self.patient_birth_date.isoformat()]
        return hmac.new(
            audit_key(key_id), canonical_json({"identity": identity}), hashlib.sha256
        ).hexdigest()


class CaseStep(AnswerRules, models.Model):
    """A snapshot of a template step taken when the case was created, plus its answer."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    template_step = models.ForeignKey(
        Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField()
    phase = models.CharField(max_length=16, choices=Phase.choices)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    required = models.BooleanField()
    hard_stop = models.BooleanField()
    # The template's rule when the case was made, kept with the case (db_default: see milestone).
    gates_later_phases = models.BooleanField(default=False, db_default=False)
    role = models.CharField(max_length=16, choices=StepRole.choices)
    side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    unit = models.CharField(max_length=20, blank=True)
    min_value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    options = models.JSONField(default=list, blank=True)
    expected_answer = models.CharField(max_length=100, blank=True)
    details_required_for = models.CharField(max_length=100, blank=True)
    default_value = models.CharField(max_length=200, blank=True)
    # db_default too, as on the template step: see procedures.models.Step.milestone.
    milestone = models.CharField(
        max_length=16, choices=Milestone.choices, blank=True, default="", db_default=""
    )

    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING)
    # The answer as text: "yes"/"no", a choice option, a decimal number, free text; "" for a check.
    value = models.TextField(max_length=2000, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    na_reason = models.TextField("reason not applicable", max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    # The step's role when whoever recorded it does not hold it (``accounts.people.holds_role``):
    # "recorded by Nora Nurse for the anaesthetist". Blank when they do, and while pending.
    recorded_for = models.CharField(max_length=16, choices=StepRole.choices, blank=True)
    # Bumped by every change of this row: a change based on an older revision is refused.
    revision = models.PositiveIntegerField(default=0)
    # A surgeon's override of this step's Stop (``is_stop``), with why. It holds for the answer
    # it was given for: the workflow clears it when the answer changes.
    stop_override_reason = models.TextField(max_length=2000, blank=True, db_default="")
    stop_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stop_overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # By the case's key, not the case: ordering by the case would join its table and sort
        # by its own ordering, on every query of one case's rows (so the case's other rows too).
        ordering = ["case_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="casestep_unique_position"),
            models.CheckConstraint(
                condition=~Q(status=StepStatus.NOT_APPLICABLE) | ~Q(na_reason=""),
                name="casestep_na_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=StepStatus.PENDING) | Q(recorded_by__isnull=False),
                name="casestep_recorded_has_actor",
            ),
            models.CheckConstraint(
                condition=Q(stop_overridden_by__isnull=True) | ~Q(stop_override_reason=""),
                name="casestep_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_side_display()})" if self.side else self.title

    @property
    def label(self) -> str:
        return str(self)

    @property
    def is_recorded(self) -> bool:
        return self.status != StepStatus.PENDING

    @property
    def departs_from_expected(self) -> bool:
        """Answered, but not with the expected answer (see ``departs_from_expected``)."""
        return departs_from_expected(self.expected_answer, self.status, self.value)

    @property
    def stop_overridden(self) -> bool:
        return self.stop_overridden_by_id is not None

    @property
    def is_stop(self) -> bool:
        """An expected answer not given (consent not signed, counts not correct) and not
        overridden: the row shows a Stop, the step counts as not done, the later phases wait
        and sign-out refuses, until the answer changes or a surgeon overrides it."""
        return is_stop(
            self.expected_answer, self.status, self.value, overridden=self.stop_overridden
        )

    @property
    def stop_summary(self) -> str:
        """What departs from the expected answer, in words: "answered No — expected Yes"."""
        given = (
            "marked not applicable"
            if self.status == StepStatus.NOT_APPLICABLE
            else f"answered {self.answer_display(self.value)}"
        )
        return f"{given} — expected {self.answer_display(self.expected_answer)}"

    def answer_display(self, value: str) -> str:
        """An answer as the page writes it: "Yes" for a yes/no step's "yes"."""
        return value.capitalize() if self.kind == StepKind.YES_NO else value

    @property
    def is_complete(self) -> bool:
        """Recorded, and not a Stop: what progress, phase completion and compliance count."""
        return self.is_recorded and not self.is_stop

    @property
    def gate(self) -> str:
        """Why this step, as it stands, holds later steps back: a ``Gate``, or "" if it does
        not. A pending hard stop; a pending required step of a phase that gates the later
        ones (the Time Out); a Stop."""
        if self.status == StepStatus.PENDING:
            if self.hard_stop:
                return Gate.HARD_STOP
            return Gate.PHASE if self.gates_later_phases and self.required else ""
        return Gate.STOP if self.is_stop else ""

    def is_gated_by(self, other: "CaseStep") -> bool:
        """Whether ``other``, as it stands now, holds this step back (``other.gate`` says why).

        The one definition of the gate: ``workflow.record_step`` refuses by it, and the
        checklist page locks its rows by it, showing what each row waits for.
        """
        return other.reaches(self, gate=other.gate)

    def reaches(self, later: "CaseStep", *, gate: str) -> bool:
        """Whether this step, while it holds steps back as ``gate`` says, holds ``later`` back.

        A hard stop holds the steps after it; a gating phase and a Stop hold the steps of the
        later phases. Each holds only the steps of its own side and those of no side; a step
        of no side holds every side's.
        """
        same_side = not (self.side and later.side) or self.side == later.side
        if not gate or not same_side:
            return False
        if gate == Gate.HARD_STOP:
            return self.position < later.position
        return PHASE_ORDER[self.phase] < PHASE_ORDER[later.phase]

    def may_gate(self, later: "CaseStep") -> bool:
        """Whether this step holds ``later`` back in some state it can take: when it changes,
        ``later``'s lock may have moved."""
        gates = (
            (Gate.HARD_STOP, self.hard_stop),
            (Gate.PHASE, self.gates_later_phases and self.required),
            (Gate.STOP, bool(self.expected_answer)),
        )
        return any(can and self.reaches(later, gate=gate) for gate, can in gates)

    @property
    def gates_others(self) -> bool:
        """Whether recording this step can unlock others (``is_gated_by``): a hard stop, or a
        required step of a gating phase (the Time Out).

        Putting such a step back to pending locks them again, so ``workflow.record_step``
        asks for a reason, and the checklist page asks for one before it sends the change.
        """
        return self.hard_stop or (self.gates_later_phases and self.required)

    def state(self) -> payloads.StepState:
        """What the audit trail keeps of this row before and after a change."""
        return payloads.step_state(self)


def departs_from_expected(expected_answer: str, status: str, value: str) -> bool:
    """Whether an answer departs from the step's expected one: the step expects an answer and
    was answered otherwise, or marked not applicable (which is not the expected answer
    either). A pending step has not been answered at all: it is missing, not a Stop."""
    if not expected_answer or status == StepStatus.PENDING:
        return False
    return not (status == StepStatus.DONE and value == expected_answer)


def is_stop(expected_answer: str, status: str, value: str, *, overridden: bool) -> bool:
    """``CaseStep.is_stop`` from a step's columns (compliance reads rows, not models)."""
    return departs_from_expected(expected_answer, status, value) and not overridden


def complete_q(prefix: str = "") -> Q:
    """``CaseStep.is_complete`` in SQL, for counts over many cases' steps at once (the board).
    ``prefix`` leads to the step from the model queried, e.g. "steps__"."""

    def field(name: str) -> str:
        return f"{prefix}{name}"

    recorded = Q(**{field("status__in"): [StepStatus.DONE, StepStatus.NOT_APPLICABLE]})
    expects_nothing = Q(**{field("expected_answer"): ""})
    expected_given = Q(
        **{field("status"): StepStatus.DONE, field("value"): models.F(field("expected_answer"))}
    )
    overridden = Q(**{field("stop_overridden_by__isnull"): False})
    return recorded & (expects_nothing | expected_given | overridden)
