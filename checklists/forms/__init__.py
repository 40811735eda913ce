"""Forms check what a person typed and nothing more; checklists.workflow applies the rules.

By page: the board, a new case, its signature, a change of surgeon, a Stop called and
cancelling (``cases``); the
checklist's rows, implants and poll (``checklist``); the debrief's actions (``debrief``); the
theatre list's file (``schedule``); the Time Out read aloud (``time_out``).
"""

from checklists.forms.cases import (
    BoardDayForm,
    CancelCaseForm,
    ConcernForm,
    ConcernResolvedForm,
    NewCaseForm,
    SideDisagreementResolvedForm,
    SignOutForm,
    SurgeonChangeForm,
    next_quarter_hour,
    surgeons,
)
from checklists.forms.checklist import (
    CODE_FIELD,
    MAX_REVISION,
    ImplantForm,
    ImplantRemovalForm,
    ImplantWasteForm,
    LiveSyncForm,
    StepUpdateForm,
    StopOverrideForm,
)
from checklists.forms.debrief import DebriefActionClosedForm, DebriefActionForm
from checklists.forms.schedule import ScheduleUploadForm
from checklists.forms.time_out import (
    TimeOutEndForm,
    TimeOutItemForm,
    TimeOutStartForm,
    staff_in,
)

__all__ = [
    "CODE_FIELD",
    "MAX_REVISION",
    "BoardDayForm",
    "CancelCaseForm",
    "ConcernForm",
    "ConcernResolvedForm",
    "DebriefActionClosedForm",
    "DebriefActionForm",
    "ImplantForm",
    "ImplantRemovalForm",
    "ImplantWasteForm",
    "LiveSyncForm",
    "NewCaseForm",
    "ScheduleUploadForm",
    "SideDisagreementResolvedForm",
    "SignOutForm",
    "StepUpdateForm",
    "StopOverrideForm",
    "SurgeonChangeForm",
    "TimeOutEndForm",
    "TimeOutItemForm",
    "TimeOutStartForm",
    "next_quarter_hour",
    "staff_in",
    "surgeons",
]
