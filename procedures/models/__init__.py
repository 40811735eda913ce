"""The procedures app's models: checklist templates (``procedures``), the shared blocks they
include (``blocks``), and the fields and rules of a checklist item both use (``steps``)."""

from procedures.models.blocks import Block, BlockStep, BlockVersion
from procedures.models.procedures import Procedure, ProcedureVersion, Step
from procedures.models.steps import (
    BOTH,
    LAST_PHASE,
    LEFT,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    NO,
    RIGHT,
    SIDE_ANSWERS,
    TEXT,
    YES,
    YES_NO_ANSWERS,
    AnswerRules,
    StepFields,
    check_step_order,
    describe_kind,
    validate_options,
)

__all__ = [
    "BOTH",
    "LAST_PHASE",
    "LEFT",
    "MAX_OPTIONS",
    "MAX_OPTION_LENGTH",
    "NO",
    "RIGHT",
    "SIDE_ANSWERS",
    "TEXT",
    "YES",
    "YES_NO_ANSWERS",
    "AnswerRules",
    "Block",
    "BlockStep",
    "BlockVersion",
    "Procedure",
    "ProcedureVersion",
    "Step",
    "StepFields",
    "check_step_order",
    "describe_kind",
    "validate_options",
]
