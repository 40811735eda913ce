"""Reads for reviewers: cases with their compliance, the whole record, the dashboard figures.

Every figure is computed by the database (annotations and aggregates); nothing here loops over
cases issuing queries, so each page costs the same number of queries however many cases there
are. Nothing here writes: a reviewer's one change, "Mark reviewed", goes through
``checklists.workflow.mark_reviewed``.

The modules: ``cases`` (the list, its choices and export), ``record`` (one case's record),
``implant_card`` (the patient's implant card), ``dashboard`` (the figures) and ``spreads``
(medians and percentiles of the counts the workflow keeps).
"""

from review.selectors.cases import (
    case_export_rows,
    listed_days,
    procedures,
    review_cases,
    review_page,
    rooms,
    scheduled_between,
    step_export_rows,
    surgeons,
)
from review.selectors.dashboard import Dashboard, dashboard
from review.selectors.implant_card import ImplantCard, implant_card
from review.selectors.recalls import recalled_implants
from review.selectors.record import (
    CaseRecord,
    RecordViews,
    case_outline,
    case_record,
    record_views,
)
from review.selectors.spreads import percentile, percentile_of_counts

__all__ = [
    "CaseRecord",
    "Dashboard",
    "ImplantCard",
    "RecordViews",
    "case_export_rows",
    "case_outline",
    "case_record",
    "dashboard",
    "implant_card",
    "listed_days",
    "percentile",
    "percentile_of_counts",
    "procedures",
    "recalled_implants",
    "record_views",
    "review_cases",
    "review_page",
    "rooms",
    "scheduled_between",
    "step_export_rows",
    "surgeons",
]
