"""What the API reads and answers, as DRF serializers (and so as the OpenAPI schema).

The request serializers check types and lengths only, like the tablet's forms; the workflow
checks the rest (a step's bounds, a case's state) and says no with a ``WorkflowError``.
"""

import datetime

from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.dates import FIRST_DAY, LAST_DAY, OLDEST_PATIENT_YEARS
from accounts.people import display_name
from checklists import workflow
from checklists.choices import CaseStatus, ImplantStatus, Laterality, Side, StepStatus
from checklists.models import Case, CaseStep, Implant, Signature, max_length
from procedures.choices import Approach
from procedures.models import Procedure, ProcedureVersion, Step

# The largest revision a step form takes (the column is a 32-bit integer on PostgreSQL).
MAX_REVISION = 2**31 - 1


def _text(model: type, field: str, **kwargs: object) -> serializers.CharField:
    """An optional text field as long as ``model.field`` holds."""
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length(model, field), **kwargs
    )


@extend_schema_field(OpenApiTypes.STR)
class PersonField(serializers.Field):
    """A person (or an integration's service user) as the record names them."""

    def to_representation(self, value: User) -> str:
        return display_name(value)


# --- procedures ---------------------------------------------------------------------------------


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = [
            "id",
            "position",
            "phase",
            "title",
            "guidance",
            "required",
            "hard_stop",
            "role",
            "per_side",
            "kind",
            "unit",
            "min_value",
            "max_value",
            "options",
        ]


class ProcedureSerializer(serializers.ModelSerializer):
    """A procedure as new cases are made from it, read from its published version: the
    procedure's id and names, the version's number and its steps in order."""

    id = serializers.IntegerField(source="procedure_id", read_only=True)
    slug = serializers.CharField(source="procedure.slug", read_only=True)
    title = serializers.CharField(source="procedure.title", read_only=True)
    approach = serializers.ChoiceField(
        source="procedure.approach", choices=Approach.choices, read_only=True
    )
    description = serializers.CharField(source="procedure.description", read_only=True)
    active = serializers.BooleanField(source="procedure.active", read_only=True)
    version = serializers.IntegerField(source="number", read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = ProcedureVersion
        fields = ["id", "slug", "title", "approach", "description", "active", "version", "steps"]


# --- cases --------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    """A case as a list shows it: patient identity, what, who, where, when, and its state."""

    surgeon = serializers.IntegerField(source="surgeon_id")
    surgeon_name = PersonField(source="surgeon")
    procedure = serializers.IntegerField(source="procedure_id")
    procedure_title = serializers.CharField(source="procedure.title")

    class Meta:
        model = Case
        fields = [
            "id",
            "patient_mrn",
            "patient_name",
            "patient_birth_date",
            "procedure",
            "procedure_title",
            "laterality",
            "surgeon",
            "surgeon_name",
            "room",
            "scheduled_start",
            "status",
            "version",
            "started_at",
            "completed_at",
        ]


class CaseStepSerializer(serializers.ModelSerializer):
    """A step of a case, with its answer, who recorded it and the revision to send back."""

    recorded_by = PersonField(allow_null=True)

    class Meta:
        model = CaseStep
        fields = [
            "id",
            "position",
            "phase",
            "side",
            "title",
            "required",
            "hard_stop",
            "role",
            "kind",
            "unit",
            "min_value",
            "max_value",
            "options",
            "status",
            "value",
            "note",
            "na_reason",
            "recorded_by",
            "recorded_for",
            "recorded_at",
            "revision",
        ]


class ImplantSerializer(serializers.ModelSerializer):
    added_by = PersonField()
    # Who confirmed the read-back before opening, and when; null until the team has (on the
    # tablet: an implant logged through the API shows its card there).
    read_back_by = PersonField(allow_null=True, read_only=True)
    status = serializers.ChoiceField(choices=ImplantStatus.choices, read_only=True)

    class Meta:
        model = Implant
        fields = [
            "id",
            "side",
            "position",
            "manufacturer",
            "product",
            "size",
            "lot",
            "expiry",
            "serial",
            "gtin",
            "udi",
            "status",
            "added_by",
            "added_at",
            "read_back_by",
            "read_back_at",
        ]


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signature
        fields = ["id", "printed_name", "meaning", "signed_at", "reason"]


class CaseDetailSerializer(CaseSerializer):
    """A whole case: its steps in order, its implants, its signatures."""

    steps = CaseStepSerializer(many=True)
    implants = ImplantSerializer(many=True)
    signatures = SignatureSerializer(many=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "steps", "implants", "signatures"]


class CasePageSerializer(serializers.Serializer):
    """A page of cases (``limit`` and ``offset``)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSerializer(many=True)


class CaseFilterSerializer(serializers.Serializer):
    """The case list's filters, as query parameters; all optional."""

    date_from = serializers.DateField(required=False, help_text="Scheduled on or after this day.")
    date_to = serializers.DateField(required=False, help_text="Scheduled on or before this day.")
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    room = serializers.CharField(required=False, max_length=max_length(Case, "room"))
    procedure = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    surgeon = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def validate(self, data: dict) -> dict:
        for name in ("date_from", "date_to"):
            if name in data and not FIRST_DAY <= data[name] <= LAST_DAY:
                raise serializers.ValidationError({name: "That day is out of range."})
        return data


class NewCaseSerializer(serializers.Serializer):
    """A case to schedule, as the new-case page takes it."""

    procedure = serializers.PrimaryKeyRelatedField(queryset=Procedure.objects.all())
    patient_mrn = serializers.CharField(max_length=max_length(Case, "patient_mrn"))
    patient_name = serializers.CharField(max_length=max_length(Case, "patient_name"))
    patient_birth_date = serializers.DateField()
    laterality = serializers.ChoiceField(choices=Laterality.choices)
    surgeon = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    room = serializers.CharField(max_length=max_length(Case, "room"))
    scheduled_start = serializers.DateTimeField()

    # The new-case page's own checks of the two dates, with its words.
    def validate_patient_birth_date(self, born: datetime.date) -> datetime.date:
        if born.year < timezone.localdate().year - OLDEST_PATIENT_YEARS:
            raise serializers.ValidationError(
                f"Check the year: that is more than {OLDEST_PATIENT_YEARS} years ago."
            )
        return born

    def validate_scheduled_start(self, start: datetime.datetime) -> datetime.datetime:
        if not FIRST_DAY <= timezone.localdate(start) <= LAST_DAY:
            raise serializers.ValidationError("Check the year of the scheduled start.")
        return start


# --- changes ------------------------------------------------------------------------------------


class StepChangeSerializer(serializers.Serializer):
    """A step's target state and the revision it was read at, exactly as the tablet sends
    them; a reason only to put a recorded answer back to pending."""

    status = serializers.ChoiceField(choices=StepStatus.choices)
    revision = serializers.IntegerField(min_value=0, max_value=MAX_REVISION)
    value = _text(CaseStep, "value")
    note = _text(CaseStep, "note")
    na_reason = _text(CaseStep, "na_reason")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=workflow.REVERT_REASON_LENGTH
    )

    def answer(self) -> workflow.Answer:
        data = self.validated_data
        return workflow.Answer(
            status=data["status"],
            value=data["value"],
            note=data["note"],
            na_reason=data["na_reason"],
        )


class ImplantEntrySerializer(serializers.Serializer):
    """An implant as scanned (``udi``, a GS1 barcode's data or its printed text) or typed."""

    side = serializers.ChoiceField(
        choices=Side.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="None: the case's side, or the side whose implant step is next.",
    )
    udi = _text(Implant, "udi")
    manufacturer = _text(Implant, "manufacturer")
    product = _text(Implant, "product")
    size = _text(Implant, "size")
    lot = _text(Implant, "lot")
    expiry = serializers.DateField(required=False, allow_null=True, default=None)
    serial = _text(Implant, "serial")
    expiry_override_reason = _text(Implant, "expiry_override_reason")
    duplicate_override_reason = _text(Implant, "duplicate_override_reason")

    def entry(self) -> workflow.ImplantEntry:
        return workflow.ImplantEntry(**self.validated_data)


class ScheduleRefusalSerializer(serializers.Serializer):
    """A row of the theatre list refused: where (a CSV's line, or a Bundle's entry), which
    appointment, and why; never the patient's identity."""

    line = serializers.IntegerField(required=False, help_text="The CSV's line (header: 1).")
    entry = serializers.IntegerField(required=False, help_text="The Bundle's entry, from 1.")
    appointment_id = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class ScheduleReportSerializer(serializers.Serializer):
    """What an import of the theatre list did, row by row counted."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = ScheduleRefusalSerializer(many=True)
