"""The checklist app's pages: the board and a case's scheduling, surgeon, signature and
cancelling (``cases``), the checklist itself (``checklist``), a Stop called by the team
(``concerns``), a side disagreement resolved by the surgeon (``sides``),
a procedure version's preview (``preview``), the read-aloud Time Out (``time_out``)."""

from checklists.views.cases import (
    board,
    case_cancel,
    case_sign_out,
    case_surgeon,
    new_case,
    schedule_import,
)
from checklists.views.checklist import (
    case_detail,
    case_version,
    implant_add,
    implant_read_back,
    implant_remove,
    implant_waste,
    record_step_from,
    step_update,
    stop_override,
)
from checklists.views.concerns import concern_raise, concern_resolve
from checklists.views.debrief import debrief_action_add, debrief_action_close
from checklists.views.events import case_events
from checklists.views.preview import block_preview, procedure_preview
from checklists.views.sides import side_disagreement_resolve
from checklists.views.time_out import time_out_end, time_out_item, time_out_page, time_out_start

__all__ = [
    "block_preview",
    "board",
    "case_cancel",
    "case_detail",
    "case_events",
    "case_sign_out",
    "case_surgeon",
    "case_version",
    "concern_raise",
    "concern_resolve",
    "debrief_action_add",
    "debrief_action_close",
    "implant_add",
    "implant_read_back",
    "implant_remove",
    "implant_waste",
    "new_case",
    "procedure_preview",
    "record_step_from",
    "schedule_import",
    "side_disagreement_resolve",
    "step_update",
    "stop_override",
    "time_out_end",
    "time_out_item",
    "time_out_page",
    "time_out_start",
]
