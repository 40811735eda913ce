"""What a verification found: where a chain breaks, where the rows differ from their chain."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a case's chain that does not verify (or its missing tail)."""

    case_id: int
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.event_id else f"after #{self.seq}"
        return f"Case {self.case_id}, {where}: {self.problem}"


@dataclass(frozen=True)
class RowDifference:
    """The first place where a case's live rows are not what its chain says they must be.

    ``where`` names the row ("step 'Consent form signed' (left)", "implant 12 (left side,
    position 1)"), empty for the case row itself; neither it nor ``problem`` ever holds
    patient identity or free text, so the message can go to a log or a ticket."""

    case_id: int
    where: str
    problem: str

    def __str__(self) -> str:
        if self.where:
            return f"Case {self.case_id}, {self.where}: {self.problem}"
        return f"Case {self.case_id}: {self.problem}"


@dataclass(frozen=True)
class Verdict:
    """The audit trail of some cases, verified.

    ``verify_chains`` proves the chains alone (``differences`` stays empty); ``verify_audit``
    and the review record also replay each intact chain against the live rows. A case has at
    most one problem: its chain's first break, or else its rows' first difference.
    ``identity_unsealed`` counts replayed cases created before the chain sealed the patient's
    identity (see ``replay.IDENTITY_SEALED_SINCE``): not a break, but not proven either."""

    cases: int
    events: int
    breaks: list[ChainBreak]
    differences: list[RowDifference] = field(default_factory=list)
    identity_unsealed: int = 0

    @property
    def ok(self) -> bool:
        return not (self.breaks or self.differences)

    @property
    def problems(self) -> list[ChainBreak | RowDifference]:
        return sorted([*self.breaks, *self.differences], key=lambda problem: problem.case_id)
