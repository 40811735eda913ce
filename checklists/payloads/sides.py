"""The payloads of a side disagreement: raised by an answer or an implant, resolved by a
surgeon."""

from typing import TypedDict


class SideDisagreementRaised(TypedDict):
    """``side_disagreement_raised`` after: a side seen that is not the case's
    (``SideDisagreement``). Who and when are the event's actor and time; the event's step is
    the step whose answer disagrees, if a step does."""

    disagreement: int  # the SideDisagreement's id
    place: str  # the step's label, or the implant's ("Implant 1, left side")
    side_seen: str  # left, right or both
    case_side: str  # the case's laterality
    implant: int | None  # the implant's id, when an implant disagrees


class SideDisagreementResolved(TypedDict):
    """``side_disagreement_resolved`` after: a surgeon resolved it, with a reason. Who and
    when: the event's."""

    disagreement: int
    resolution: str


def side_disagreement_raised(
    *, disagreement: int, place: str, side_seen: str, case_side: str, implant: int | None
) -> SideDisagreementRaised:
    return {
        "disagreement": disagreement,
        "place": place,
        "side_seen": side_seen,
        "case_side": case_side,
        "implant": implant,
    }


def side_disagreement_resolved(*, disagreement: int, resolution: str) -> SideDisagreementResolved:
    return {"disagreement": disagreement, "resolution": resolution}
