"""Why the workflow said no, in words a nurse can read. Views map ``status_code`` to HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checklists.models import CaseStep


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WorkflowError):
    status_code = 404


class NotPermitted(WorkflowError):
    """The person's role does not allow this action."""

    status_code = 403


class RuleViolation(WorkflowError):
    """The request is understood, but a checklist rule forbids it."""

    status_code = 422


class CaseLocked(RuleViolation):
    """The case is signed out, reviewed or cancelled: only an amendment may change it."""

    status_code = 409


class ImplantRefused(RuleViolation):
    """An implant the log does not take as it stands. ``field`` names the form field that
    would let it through when filled (the product's name for a device the catalogue does not
    know, a surgeon's reason), "" when none would."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DeviceConflict(ImplantRefused):
    """The device itself says no: it is recalled, or already on a log (this case's, or as
    implanted in another case)."""

    status_code = 409


class StepGated(RuleViolation):
    """Another step holds this one back (``CaseStep.is_gated_by``): a gating phase still
    pending, or a Stop. ``blocking`` is that step."""

    def __init__(self, message: str, *, blocking: CaseStep) -> None:
        super().__init__(message)
        self.blocking = blocking


class CaseStopped(RuleViolation):
    """Someone called a Stop on the case (a ``Concern``): procedure steps wait for it."""

    status_code = 409


class SidesDisagree(RuleViolation):
    """A side seen is not the case's side (a ``SideDisagreement``): the whole case waits for
    a surgeon to resolve it."""

    status_code = 409


class TimeOutNeeded(RuleViolation):
    """Procedure steps wait for a Time Out that holds (``TimeOutGate``): none done yet, one in
    progress, one a new surgeon or a Stop invalidated, or the second side's own Time Out."""

    status_code = 409


class HardStopPending(StepGated):
    """A pending hard stop holds this step back."""


class SignOutBlocked(RuleViolation):
    def __init__(self, message: str, *, missing: list[CaseStep]) -> None:
        super().__init__(message)
        self.missing = missing


class StaleRevision(WorkflowError):
    """Someone else changed the row first; the client must look at the current state."""

    status_code = 409

    def __init__(self, message: str, *, current: CaseStep) -> None:
        super().__init__(message)
        self.current = current


class TimeOutChanged(WorkflowError):
    """Someone else ended the Time Out first, with another team or other attestations."""

    status_code = 409


class SurgeonChanged(WorkflowError):
    """Someone else changed the case's surgeon after the page asking for a change was drawn:
    the change asked for was based on a surgeon who is no longer the case's."""

    status_code = 409


class SignatureRefused(WorkflowError):
    """The password given to sign did not match. The attempt itself is audited."""

    status_code = 403


class SignatureLocked(SignatureRefused):
    """Too many wrong passwords when signing lately: this person's signing is paused."""

    status_code = 429
