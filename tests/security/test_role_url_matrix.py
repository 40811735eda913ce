# ruff: noqa: E501 -- the table's columns line up, and a readable table is the point here.
"""Who may do what, where: every URL × every method × every role, in one table.

``MATRIX`` below is the contract. Each row is a URL name, a method and the status each
persona gets for it: anonymous, the three OR staff (nurse, scrub, anaesthetist), the
surgeon, the reviewer, the administrator, and "other case": the first persona allowed in,
asking with the id of a case that does not exist, a step or an implant that belongs to
another case (this project has no per-case ownership: a case is open to every role that
may see cases; what must never work is reaching one case's rows through another's URL).

How to read a cell:
- a number: that status. POSTs in the table are empty (no fields), so a permitted role gets
  the answer the view gives to an empty form: 400 for a forged step form, 422 for a form
  with errors, a 302 back to the page where the view redirects with a message.
- ``LOGIN``: 302 to ``/accounts/login/?next=...``; the same request from htmx gets 204 with
  ``HX-Redirect`` to the switch screen (htmx would otherwise swap a login page into a row).
  In the admin, the admin's own pages send visitors to ``/admin/login/`` instead: either
  login page will do there.
- ``STAFF``: the admin's own gate: 302 to ``/admin/login/?next=...`` (whose page then
  refuses a signed-in non-staff user with 403, see ``test_the_admin_login_refuses_...``).
- ``GET/HEAD``: both methods, same expectations. Methods a view does not take are in the
  table too (405), so every URL states both GET/HEAD and POST.

The admin: a few representative rows are spelled out (index, login, logout, and the
changelists of procedures, cases, audit events and users). Every other ``admin:`` URL,
found by walking the URLconf, follows the rule ``admin_rule``: "admin: staff only":
anonymous visitors go to the login, every non-staff role to the admin's login (GET and
POST alike), and the administrator is let through to the admin itself, which answers
below 500 and never with a login page; on the read-only models (cases, audit events,
record accesses, emergency accesses) its add and delete views refuse the administrator with
403. The admin is Django's, so its hundred URLs are not worth a row each; what matters is that
nobody but staff gets past its gate and that the audit trail cannot be edited there.

A URL outside the admin without rows here fails ``test_every_url_has_rows_for_every_method``.
PUT, PATCH, DELETE, TRACE and the like, which no page sends, get 405 everywhere, the admin
included (``test_methods_no_page_uses_are_refused_everywhere``). Every answer to a signed-in
persona, whatever its status, carries ``Cache-Control: no-store`` (a shared tablet's cache
must not keep it). And since an empty POST must never change a
case, ``test_nothing_a_table_request_sends_changes_a_case`` replays the table's POSTs and
counts the audit trail and the cases' versions before and after.
"""

import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import Room
from checklists.models import AuditEvent, Case, DebriefAction
from tests.conftest import PASSWORD
from tests.security.conftest import PERSONAS, World
from tests.site.test_login_required import Endpoint, endpoints, templates

LOGIN = "login"
STAFF = "staff"
COLUMNS = ("anonymous", *PERSONAS)
GET_HEAD = "GET/HEAD"

# fmt: off
MATRIX: list[tuple[str, str, Any, Any, Any, Any, Any, Any, Any, Any]] = [
    # url name                        method    anon   nurse  scrub  anaes  surgeon review admin  other case
    ("login",                         GET_HEAD, 200,   200,   200,   200,   200,    200,   200,   None),
    ("login",                         "POST",   200,   200,   200,   200,   200,    200,   200,   None),
    ("logout",                        GET_HEAD, LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("logout",                        "POST",   LOGIN, 302,   302,   302,   302,    302,   302,   None),
    ("my-pin",                        GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   None),
    ("my-pin",                        "POST",   LOGIN, 400,   400,   400,   400,    400,   400,   None),
    ("password-change",               GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   None),
    ("password-change",               "POST",   LOGIN, 400,   400,   400,   400,    400,   400,   None),
    ("session-heartbeat",             GET_HEAD, LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("session-heartbeat",             "POST",   LOGIN, 204,   204,   204,   204,    204,   204,   None),
    ("switch-user",                   GET_HEAD, 200,   200,   200,   200,   200,    200,   200,   None),
    ("switch-user",                   "POST",   400,   400,   400,   400,   400,    400,   400,   None),
    ("device-enrol",                  GET_HEAD, LOGIN, 403,   403,   403,   403,    403,   200,   None),
    ("device-enrol",                  "POST",   LOGIN, 403,   403,   403,   403,    403,   400,   None),
    ("healthz",                       "GET",    200,   200,   200,   200,   200,    200,   200,   None),
    ("healthz",                       "HEAD",   200,   200,   200,   200,   200,    200,   200,   None),
    ("healthz",                       "POST",   405,   405,   405,   405,   405,    405,   405,   None),
    # the checklist side (OR staff record; surgeons also sign; reviewers only look)
    ("home",                          GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   None),
    ("home",                          "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("case-new",                      GET_HEAD, LOGIN, 200,   200,   200,   200,    403,   403,   None),
    ("case-new",                      "POST",   LOGIN, 422,   422,   422,   422,    403,   403,   None),
    ("schedule-import",               GET_HEAD, LOGIN, 200,   200,   200,   200,    403,   403,   None),
    ("schedule-import",               "POST",   LOGIN, 422,   422,   422,   422,    403,   403,   None),
    ("case-detail",                   GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   404),
    ("case-detail",                   "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("case-version",                  GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   404),
    ("case-version",                  "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    # live push's stream: off here (settings.LIVE_PUSH), so "not pushed here" (tests/checklists/test_live_push.py)
    ("case-events",                   GET_HEAD, LOGIN, 404,   404,   404,   404,    404,   404,   404),
    ("case-events",                   "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("step-update",                   GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("step-update",                   "POST",   LOGIN, 400,   400,   400,   400,    403,   403,   404),
    ("stop-override",                 GET_HEAD, LOGIN, 403,   403,   403,   405,    403,   403,   None),
    ("stop-override",                 "POST",   LOGIN, 403,   403,   403,   400,    403,   403,   404),
    ("implant-add",                   GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("implant-add",                   "POST",   LOGIN, 422,   422,   422,   422,    403,   403,   404),
    ("implant-remove",                GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("implant-remove",                "POST",   LOGIN, 422,   422,   422,   422,    403,   403,   404),
    ("implant-waste",                 GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("implant-read-back",             GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("implant-read-back",             "POST",   LOGIN, 302,   302,   302,   302,    403,   403,   404),
    ("implant-waste",                 "POST",   LOGIN, 422,   422,   422,   422,    403,   403,   404),
    ("case-sign-out",                 GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   404),
    ("case-sign-out",                 "POST",   LOGIN, 422,   422,   422,   422,    422,   422,   404),
    ("case-cancel",                   GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("case-cancel",                   "POST",   LOGIN, 302,   302,   302,   302,    403,   403,   404),
    # a case handed to another surgeon: those who schedule cases (workflow.change_surgeon)
    ("case-surgeon",                  GET_HEAD, LOGIN, 200,   200,   200,   200,    403,   403,   404),
    ("case-surgeon",                  "POST",   LOGIN, 422,   422,   422,   422,    403,   403,   404),
    # a Stop called by anyone recording on the case, and its resolution
    ("concern-raise",                 GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("concern-raise",                 "POST",   LOGIN, 302,   302,   302,   302,    403,   403,   404),
    ("concern-resolve",               GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("concern-resolve",               "POST",   LOGIN, 302,   302,   302,   302,    403,   403,   404),
    # a side disagreement: only a surgeon resolves it
    ("side-disagreement-resolve",     GET_HEAD, LOGIN, 403,   403,   403,   405,    403,   403,   None),
    ("side-disagreement-resolve",     "POST",   LOGIN, 403,   403,   403,   302,    403,   403,   404),
    # the read-aloud Time Out: OR staff start it, confirm its items and end it; everyone who
    # reads checklists may look at it (this world's procedure has no Time Out to start, and
    # time out 1 does not exist: its pages and forms answer 404; tests/checklists has the rest)
    ("time-out-start",                GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("time-out-start",                "POST",   LOGIN, 302,   302,   302,   302,    403,   403,   404),
    ("time-out",                      GET_HEAD, LOGIN, 404,   404,   404,   404,    404,   404,   404),
    ("time-out",                      "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("time-out-item",                 GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("time-out-item",                 "POST",   LOGIN, 404,   404,   404,   404,    403,   403,   404),
    ("time-out-end",                  GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("time-out-end",                  "POST",   LOGIN, 404,   404,   404,   404,    403,   403,   404),
    # the debrief: OR staff add an action to a case; OR staff and reviewers close one (the
    # workflow says who: any signed-in role may post, an administrator has the reviewer's rights)
    ("debrief-action-add",            GET_HEAD, LOGIN, 405,   405,   405,   405,    403,   403,   None),
    ("debrief-action-add",            "POST",   LOGIN, 302,   302,   302,   302,    403,   403,   404),
    ("debrief-action-close",          GET_HEAD, LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("debrief-action-close",          "POST",   LOGIN, 302,   302,   302,   302,    302,   302,   404),
    # a procedure version's preview, for those who edit templates (administrators)
    ("procedure-preview",             GET_HEAD, LOGIN, 403,   403,   403,   403,    403,   200,   404),
    ("procedure-preview",             "POST",   LOGIN, 403,   403,   403,   403,    403,   405,   None),
    # a shared block's version previewed in a procedure that includes it (administrators)
    ("block-preview",                 GET_HEAD, LOGIN, 403,   403,   403,   403,    403,   200,   404),
    ("block-preview",                 "POST",   LOGIN, 403,   403,   403,   403,    403,   405,   None),
    # the review side (reviewers and administrators)
    ("review:case-list",              GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   None),
    ("review:case-list",              "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:mrn-search",             GET_HEAD, LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:mrn-search",             "POST",   LOGIN, 403,   403,   403,   403,    302,   302,   None),
    ("review:export",                 GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   None),
    ("review:export",                 "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:dashboard",              GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   None),
    ("review:dashboard",              "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:debrief-actions",        GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   None),
    ("review:debrief-actions",        "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:recalls",                GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   None),
    ("review:recalls",                "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    # without a GTIN to look up, the export is refused: a 400 that says so
    ("review:recalls-export",         GET_HEAD, LOGIN, 403,   403,   403,   403,    400,   400,   None),
    ("review:recalls-export",         "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    # the record: by role, or for OR staff during an emergency grant (see the last test)
    ("review:record",                 GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   404),
    ("review:record",                 "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("review:record-pdf",             GET_HEAD, LOGIN, 403,   403,   403,   403,    200,   200,   404),
    ("review:record-pdf",             "POST",   LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:implant-card-pdf",       GET_HEAD, LOGIN, 200,   200,   200,   200,    200,   200,   404),
    ("review:implant-card-pdf",       "POST",   LOGIN, 405,   405,   405,   405,    405,   405,   None),
    ("review:mark-reviewed",          GET_HEAD, LOGIN, 403,   403,   403,   403,    405,   405,   None),
    ("review:mark-reviewed",          "POST",   LOGIN, 403,   403,   403,   403,    302,   302,   404),
    # emergency access: OR staff and surgeons give a reason; reviewers' roles open records anyway
    ("review:emergency-access",       GET_HEAD, LOGIN, 200,   200,   200,   200,    403,   403,   404),
    ("review:emergency-access",       "POST",   LOGIN, 400,   400,   400,   400,    403,   403,   404),
    # a room's wall display: the pairing form for any browser; the display itself only for an
    # enrolled display (none of these personas is one: tests/wall/test_display.py has the rest)
    ("wall-pair",                     GET_HEAD, 200,   200,   200,   200,   200,    200,   200,   None),
    ("wall-pair",                     "POST",   400,   400,   400,   400,   400,    400,   400,   None),
    ("wall-display",                  GET_HEAD, 403,   403,   403,   403,   403,    403,   403,   None),
    ("wall-display",                  "POST",   403,   403,   403,   403,   403,    403,   403,   None),
    ("wall-display-live",             GET_HEAD, 403,   403,   403,   403,   403,    403,   403,   None),
    ("wall-display-live",             "POST",   403,   403,   403,   403,   403,    403,   403,   None),
    ("wall-display-events",           GET_HEAD, 403,   403,   403,   403,   403,    403,   403,   None),
    ("wall-display-events",           "POST",   405,   405,   405,   405,   405,    405,   405,   None),
    # the REST API: an integration's token only, never a person's session (tests/api/ has the
    # tokens' rows); its schema is public, its documentation for administrators
    ("api:procedure-list",            GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("api:procedure-list",            "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("api:case-list",                 GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("api:case-list",                 "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("api:case-detail",               GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("api:case-detail",               "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("api:step-record",               GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("api:step-record",               "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("api:implant-add",               GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("api:implant-add",               "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("api:schedule-import",           GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("api:schedule-import",           "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    # FHIR (read-only): the same tokens; a signed case's Bundle and each of its resources alone,
    # a template version's Questionnaire (tests/api/test_fhir.py, test_fhir_reads.py)
    ("fhir:metadata",                 GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:metadata",                 "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:case-bundle",              GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:case-bundle",              "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:questionnaire",            GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:questionnaire",            "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:questionnaire-response",   GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:questionnaire-response",   "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:procedure",                GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:procedure",                "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:device",                   GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:device",                   "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:provenance",               GET_HEAD, 401,   401,   401,   401,   401,    401,   401,   None),
    ("fhir:provenance",               "POST",   401,   401,   401,   401,   401,    401,   401,   None),
    ("api:schema",                    GET_HEAD, 200,   200,   200,   200,   200,    200,   200,   None),
    ("api:schema",                    "POST",   405,   405,   405,   405,   405,    405,   405,   None),
    ("api:docs",                      GET_HEAD, LOGIN, 403,   403,   403,   403,    403,   200,   None),
    ("api:docs",                      "POST",   LOGIN, 403,   403,   403,   403,    403,   405,   None),
    # the admin: representative rows; every other admin URL follows admin_rule()
    ("admin:index",                   GET_HEAD, LOGIN, STAFF, STAFF, STAFF, STAFF,  STAFF, 200,   None),
    ("admin:index",                   "POST",   LOGIN, STAFF, STAFF, STAFF, STAFF,  STAFF, 200,   None),
    ("admin:login",                   "GET",    200,   403,   403,   403,   403,    403,   302,   None),
    ("admin:login",                   "HEAD",   200,   403,   403,   403,   403,    403,   200,   None),
    ("admin:login",                   "POST",   200,   403,   403,   403,   403,    403,   200,   None),
    ("admin:logout",                  GET_HEAD, LOGIN, 302,   302,   302,   302,    302,   405,   None),
    ("admin:logout",                  "POST",   LOGIN, 302,   302,   302,   302,    302,   302,   None),
    ("admin:procedures_procedure_changelist",  GET_HEAD, LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:procedures_procedure_changelist",  "POST",   LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:checklists_case_changelist",       GET_HEAD, LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:checklists_case_changelist",       "POST",   LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:checklists_auditevent_changelist", GET_HEAD, LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:checklists_auditevent_changelist", "POST",   LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:auth_user_changelist",             GET_HEAD, LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
    ("admin:auth_user_changelist",             "POST",   LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200, None),
]
# fmt: on

ADMIN_ONLY = "admin: staff only"  # the expectation of every admin URL without a row above
# Models the admin shows but never adds or deletes (emergency accesses are only signed off).
READ_ONLY_ADMIN_MODELS = (
    "checklists_case",
    "checklists_auditevent",
    "checklists_implant",
    "checklists_recordaccess",
    "review_emergencyaccess",
)


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    expected: dict[str, Any]  # column -> expected answer
    other: int | None

    @property
    def methods(self) -> tuple[str, ...]:
        return ("GET", "HEAD") if self.method == GET_HEAD else (self.method,)

    @property
    def admitted(self) -> str:
        """Who asks for another case's rows: the first persona let in (for signing, the
        surgeon: anyone may open the sign-out page, only a surgeon signs)."""
        if self.name == "case-sign-out" and self.method == "POST":
            return "surgeon"
        return next(p for p in PERSONAS if self.expected[p] not in (LOGIN, STAFF, 403, 405))


ROWS = [
    Row(name, method, dict(zip(COLUMNS, cells, strict=True)), other)
    for name, method, *cells, other in MATRIX
]
ENDPOINTS = list(endpoints(get_resolver()))


def key(endpoint: Endpoint) -> str:
    """An endpoint's name, or its route when it has none (the admin's redirect patterns)."""
    return endpoint.name or endpoint.route


def is_admin(endpoint_key: str) -> bool:
    return endpoint_key.startswith(("admin:", "admin/"))


def is_admin_url(url: str) -> bool:
    return url.startswith("/admin/")


ADMIN_RULE_KEYS = sorted(
    {key(e) for e in ENDPOINTS if is_admin(key(e))} - {row.name for row in ROWS}
)


# --- building URLs ---------------------------------------------------------------------------

# Our own URLs: (the URL asked for, [the URLs of another case's rows or of no case at all]).
OWN_URLS = {
    "case-detail": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "case-version": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "case-events": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "case-sign-out": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "case-cancel": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "case-surgeon": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "step-update": (
        lambda w: {"case_id": w.in_progress.pk, "step_id": w.step.pk},
        [
            lambda w: {"case_id": w.in_progress.pk, "step_id": w.other_step.pk},
            lambda w: {"case_id": w.unknown_case_id, "step_id": w.step.pk},
        ],
    ),
    "stop-override": (
        lambda w: {"case_id": w.in_progress.pk, "step_id": w.step.pk},
        [
            lambda w: {"case_id": w.in_progress.pk, "step_id": w.other_step.pk},
            lambda w: {"case_id": w.unknown_case_id, "step_id": w.step.pk},
        ],
    ),
    "implant-add": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "implant-remove": (
        lambda w: {"case_id": w.in_progress.pk, "implant_id": w.implant.pk},
        [
            lambda w: {"case_id": w.in_progress.pk, "implant_id": w.other_implant.pk},
            lambda w: {"case_id": w.unknown_case_id, "implant_id": w.implant.pk},
        ],
    ),
    "implant-read-back": (
        lambda w: {"case_id": w.in_progress.pk, "implant_id": w.implant.pk},
        [
            lambda w: {"case_id": w.in_progress.pk, "implant_id": w.other_implant.pk},
            lambda w: {"case_id": w.unknown_case_id, "implant_id": w.implant.pk},
        ],
    ),
    "implant-waste": (
        lambda w: {"case_id": w.in_progress.pk, "implant_id": w.implant.pk},
        [
            lambda w: {"case_id": w.in_progress.pk, "implant_id": w.other_implant.pk},
            lambda w: {"case_id": w.unknown_case_id, "implant_id": w.implant.pk},
        ],
    ),
    "review:record": (
        lambda w: {"case_id": w.completed.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "review:implant-card-pdf": (
        lambda w: {"case_id": w.completed.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "review:record-pdf": (
        lambda w: {"case_id": w.completed.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "review:mark-reviewed": (
        lambda w: {"case_id": w.completed.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "review:emergency-access": (
        lambda w: {"case_id": w.completed.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "concern-raise": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "concern-resolve": (
        lambda w: {"case_id": w.in_progress.pk, "concern_id": 1},
        [lambda w: {"case_id": w.unknown_case_id, "concern_id": 1}],
    ),
    "side-disagreement-resolve": (
        lambda w: {"case_id": w.in_progress.pk, "disagreement_id": 1},
        [lambda w: {"case_id": w.unknown_case_id, "disagreement_id": 1}],
    ),
    "time-out-start": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "time-out": (
        lambda w: {"case_id": w.in_progress.pk, "time_out_id": 1},
        [lambda w: {"case_id": w.unknown_case_id, "time_out_id": 1}],
    ),
    "time-out-item": (
        lambda w: {"case_id": w.in_progress.pk, "time_out_id": 1, "step_id": w.step.pk},
        [lambda w: {"case_id": w.unknown_case_id, "time_out_id": 1, "step_id": w.step.pk}],
    ),
    "time-out-end": (
        lambda w: {"case_id": w.in_progress.pk, "time_out_id": 1},
        [lambda w: {"case_id": w.unknown_case_id, "time_out_id": 1}],
    ),
    "debrief-action-add": (
        lambda w: {"case_id": w.in_progress.pk},
        [lambda w: {"case_id": w.unknown_case_id}],
    ),
    "debrief-action-close": (
        lambda w: {"action_id": debrief_action(w).pk},
        [lambda w: {"action_id": 999999}],
    ),
    "procedure-preview": (
        lambda w: {"version_id": w.procedure.published_version().pk},
        [lambda w: {"version_id": 999999}],
    ),
    "block-preview": (
        lambda w: {"version_id": shared_block_version().pk},
        [lambda w: {"version_id": 999999}],
    ),
    "api:case-detail": (lambda w: {"case_id": w.in_progress.pk}, []),
    "api:step-record": (lambda w: {"case_id": w.in_progress.pk, "step_id": w.step.pk}, []),
    "api:implant-add": (lambda w: {"case_id": w.in_progress.pk}, []),
    "fhir:case-bundle": (lambda w: {"case_id": w.completed.pk}, []),
    "fhir:questionnaire": (lambda w: {"version_id": w.procedure.published_version().pk}, []),
    "fhir:questionnaire-response": (lambda w: {"case_id": w.completed.pk}, []),
    "fhir:procedure": (lambda w: {"case_id": w.completed.pk}, []),
    "fhir:device": (lambda w: {"implant_id": w.implant.pk}, []),
    "fhir:provenance": (lambda w: {"signature_id": w.completed.signatures.get().pk}, []),
    "wall-display": (lambda w: {"room_id": Room.objects.get(name="OR 2").pk}, []),
    "wall-display-live": (lambda w: {"room_id": Room.objects.get(name="OR 2").pk}, []),
    "wall-display-events": (lambda w: {"room_id": Room.objects.get(name="OR 2").pk}, []),
}

# What "another case" is asked with: a complete, valid form, so the refusal is about the ids.
OTHER_CASE_FORMS = {
    "step-update": {"status": "done", "value": "4", "revision": "0"},
    "stop-override": {"revision": "0", "reason": "Consent confirmed by phone"},
    "implant-add": {"side": "left", "product": "iFuse-3D", "lot": "L2"},
    "implant-remove": {"reason": "Scanned twice"},
    "implant-waste": {"reason": "Dropped"},
    "case-sign-out": {"password": PASSWORD},
    "case-cancel": {"reason": "Patient unwell"},
    "concern-raise": {"reason": "Count wrong"},
    "concern-resolve": {"resolution": "Recounted"},
    "side-disagreement-resolve": {"resolution": "Consent re-read"},
    "debrief-action-add": {"what": "Lamp", "owner": "role:nurse", "due": "2099-01-01"},
    "debrief-action-close": {"note": "Lamp replaced"},
    "review:mark-reviewed": {"comment": "Fine"},
    "review:emergency-access": {"reason": "Patient back in theatre"},
}


def debrief_action(world: World) -> DebriefAction:
    """An open debrief action on ``in_progress``, made in the table's own transaction (no audit
    event, no version: the table counts those to prove a refused request wrote nothing)."""
    return DebriefAction.objects.filter(case=world.in_progress).first() or (
        DebriefAction.objects.create(
            case=world.in_progress,
            what="Fix the lamp",
            owner_role="nurse",
            due=timezone.localdate(),
            raised_by=world.nurse,
            raised_at=timezone.now(),
        )
    )


def own_url(name: str, world: World, *, other: bool = False) -> list[str]:
    normal, others = OWN_URLS.get(name, (lambda w: {}, []))
    return [reverse(name, kwargs=kwargs(world)) for kwargs in (others if other else [normal])]


def admin_object_ids(world: World, route: str) -> dict[str, str]:
    """Real ids for an admin route's parameters, by the model its route names."""
    models = {
        "auth/group/": world.nurse.groups.first().pk,
        "auth/user/": world.nurse.pk,
        "procedures/procedure/": world.procedure.pk,
        "checklists/case/": world.in_progress.pk,
        "checklists/auditevent/": world.audit_event.pk,
        "checklists/implant/": world.implant.pk,
        "catalogue/device/": world.device.pk,
        "catalogue/recall/": world.recall.pk,
        "checklists/recordaccess/": world.access.pk,
        "review/emergencyaccess/": world.emergency.pk,
    }
    object_id = next((pk for path, pk in models.items() if path in route), world.nurse.pk)
    return {
        "object_id": str(object_id),
        "id": str(object_id),
        "content_type_id": str(ContentType.objects.get_for_model(Case).pk),
        "app_label": "checklists",
        "url": "no-such-page/",
    }


def admin_url(endpoint_key: str, world: World) -> str:
    endpoint = next(e for e in ENDPOINTS if key(e) == endpoint_key)
    values = admin_object_ids(world, endpoint.route)
    for shapes in _shapes(endpoint):
        url = "/" + "".join(text % values for text, _ in shapes)
        if resolve(url).func is endpoint.callback:
            return url
    raise AssertionError(f"No URL could be built for {endpoint.route!r}")


def _shapes(endpoint: Endpoint) -> list[tuple[tuple[str, list[str]], ...]]:
    return list(itertools.product(*(templates(part) for part in endpoint.parts)))


def url_for(name: str, world: World, *, other: bool = False) -> list[str]:
    if is_admin(name):
        return [admin_url(name, world)]
    return own_url(name, world, other=other)


# --- asking ----------------------------------------------------------------------------------


def client_for(world: World, column: str) -> Client:
    client = Client()
    if column != "anonymous":
        client.force_login(world.people[column])
    return client


def ask(client: Client, method: str, url: str, data: dict | None = None, **headers) -> Any:
    if method == "POST":
        return client.post(url, data or {}, headers=headers)
    return client.generic(method, url, headers=headers)


def answer_matches(response: Any, expected: Any, *, url: str, htmx: bool = False) -> bool:
    location = urlsplit(response.get("Location", ""))
    # The admin's own pages send a visitor to the admin's login; its model pages are caught
    # first by our login-required middleware. Either way: a login page, asking to come back.
    logins = (
        (reverse("login"), reverse("admin:login")) if is_admin_url(url) else (reverse("login"),)
    )
    if expected == LOGIN and htmx:
        target = urlsplit(response.get("HX-Redirect", ""))
        return response.status_code == 204 and target.path == reverse("switch-user")
    if expected == LOGIN:
        return (
            response.status_code == 302
            and location.path in logins
            and location.query.startswith("next=")
        )
    if expected == STAFF:
        return (
            response.status_code == 302
            and location.path == reverse("admin:login")
            and location.query.startswith("next=")
        )
    return response.status_code == expected


def kept_from_caches(response: Any, column: str) -> bool:
    """Whatever a signed-in person is answered must not stay in a browser's or proxy's cache."""
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return column == "anonymous" or "no-store" in directives


def describe(response: Any) -> str:
    where = response.get("Location") or response.get("HX-Redirect") or ""
    return f"{response.status_code} {where}".strip()


# --- the tests -------------------------------------------------------------------------------


def shared_block_version():
    """The SI joint fusion Time Out block's published version (migration procedures 0014),
    which both SI procedures include."""
    from procedures.models import Block

    return Block.objects.get(slug="si-fusion-time-out").published_version()


def test_every_url_has_rows_for_every_method():
    walked = {key(e) for e in ENDPOINTS if not is_admin(key(e))}
    tabled = {row.name for row in ROWS if not is_admin(row.name)}
    assert walked - tabled == set(), "These URLs have no row in MATRIX: add them"
    assert tabled - walked == set(), "These rows name URLs that no longer exist"
    admin_walked = {key(e) for e in ENDPOINTS if is_admin(key(e))}
    assert {row.name for row in ROWS if is_admin(row.name)} <= admin_walked
    for name in walked:
        methods = {method for row in ROWS if row.name == name for method in row.methods}
        assert {"GET", "HEAD", "POST"} <= methods, f"{name}: rows for GET, HEAD and POST"


def test_the_walk_found_the_review_pages_and_the_admin():
    names = {key(e) for e in ENDPOINTS}
    assert {"review:case-list", "review:record", "admin:checklists_auditevent_change"} <= names
    assert len(ADMIN_RULE_KEYS) > 30  # the admin's own URLs, each under the staff-only rule


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.name} {row.method}" for row in ROWS])
def test_each_role_gets_what_the_table_says(module_world, db, row):
    mismatches = []
    for column in COLUMNS:
        client = client_for(module_world, column)
        for method in row.methods:
            for url in url_for(row.name, module_world):
                expected = row.expected[column]
                response = ask(client, method, url)
                if not answer_matches(response, expected, url=url):
                    mismatches.append(f"{column} {method} {url}: {describe(response)}")
                if not kept_from_caches(response, column):
                    mismatches.append(f"{column} {method} {url}: may be cached")
                if expected == LOGIN and not is_admin_url(url):  # htmx: to the switch screen
                    response = ask(client, method, url, **{"HX-Request": "true"})
                    if not answer_matches(response, LOGIN, url=url, htmx=True):
                        mismatches.append(f"{column} htmx {method} {url}: {describe(response)}")
    assert not mismatches, f"expected {row.expected}; got:\n" + "\n".join(mismatches)


OTHER_CASE_ROWS = [row for row in ROWS if row.other is not None]


@pytest.mark.parametrize(
    "row", OTHER_CASE_ROWS, ids=[f"{row.name} {row.method}" for row in OTHER_CASE_ROWS]
)
def test_another_cases_rows_are_not_reached_through_this_case(module_world, db, row):
    before = (AuditEvent.objects.count(), _versions())
    client = client_for(module_world, row.admitted)
    mismatches = []
    for method in row.methods:
        for url in url_for(row.name, module_world, other=True):
            response = ask(client, method, url, OTHER_CASE_FORMS.get(row.name))
            if response.status_code != row.other:
                mismatches.append(f"{row.admitted} {method} {url}: {describe(response)}")
    assert not mismatches, f"expected {row.other}; got:\n" + "\n".join(mismatches)
    assert (AuditEvent.objects.count(), _versions()) == before, "a refused request wrote"


def _versions() -> dict[int, int]:
    return dict(Case.objects.values_list("pk", "version"))


def admin_rule(endpoint_key: str, column: str) -> Any:
    """What ``ADMIN_ONLY`` means for one admin URL, role and method (see the docstring)."""
    if column == "anonymous":
        return LOGIN
    if column != "administrator":
        return STAFF
    view = endpoint_key.removeprefix("admin:")
    if any(view in (f"{model}_add", f"{model}_delete") for model in READ_ONLY_ADMIN_MODELS):
        return 403
    return ADMIN_ONLY


@pytest.mark.parametrize("endpoint_key", ADMIN_RULE_KEYS)
def test_every_other_admin_url_is_for_staff_only(module_world, db, endpoint_key):
    url = admin_url(endpoint_key, module_world)
    mismatches = []
    for column in COLUMNS:
        client = client_for(module_world, column)
        for method in ("GET", "HEAD", "POST"):
            expected = admin_rule(endpoint_key, column)
            response = ask(client, method, url)
            if expected == ADMIN_ONLY:
                location = urlsplit(response.get("Location", "")).path
                ok = response.status_code < 500 and location not in (
                    reverse("login"),
                    reverse("admin:login"),
                )
            else:
                ok = answer_matches(response, expected, url=url)
            if not ok:
                mismatches.append(f"{column} {method} {url}: {describe(response)} ≠ {expected}")
            if not kept_from_caches(response, column):
                mismatches.append(f"{column} {method} {url}: may be cached")
    assert not mismatches, "\n".join(mismatches)


def test_the_admin_login_refuses_a_signed_in_non_staff_user(module_world, db):
    for persona in ("nurse", "surgeon", "reviewer"):
        client = client_for(module_world, persona)
        first = client.get(reverse("admin:index"))
        assert answer_matches(first, STAFF, url="/admin/")
        assert client.get(first["Location"]).status_code == 403


UNUSED_METHODS = ("PUT", "PATCH", "DELETE", "TRACE", "PROPFIND")


@pytest.mark.parametrize("column", ["anonymous", "nurse", "administrator"])
def test_methods_no_page_uses_are_refused_everywhere(module_world, db, column):
    """PUT, PATCH, DELETE, TRACE and the rest: no page sends them, so every URL, the admin's
    included, answers 405 and names the methods the site takes."""
    client = client_for(module_world, column)
    urls = [
        url for name in sorted({key(e) for e in ENDPOINTS}) for url in url_for(name, module_world)
    ]
    offenders = []
    for url in urls:
        for method in UNUSED_METHODS:
            response = ask(client, method, url)
            allowed = {m.strip() for m in response.get("Allow", "").split(",")}
            if response.status_code != 405 or allowed != {"GET", "HEAD", "POST", "OPTIONS"}:
                offenders.append(f"{method} {url}: {describe(response)} Allow: {allowed}")
    assert len(urls) > 50, "the walk found too few URLs"
    assert not offenders, "These answered a method no page uses:\n" + "\n".join(offenders)


def test_nothing_a_table_request_sends_changes_a_case(module_world, db):
    """The table's empty POSTs are refused or change nothing (the one exception: marking a
    signed-out case reviewed needs no field at all, so an empty POST does it)."""
    before = (AuditEvent.objects.count(), _versions())
    for row in ROWS:
        if row.method != "POST" or row.name in ("review:mark-reviewed", "logout", "admin:logout"):
            continue
        for column in COLUMNS:
            client = client_for(module_world, column)
            for url in url_for(row.name, module_world):
                ask(client, "POST", url)
    assert (AuditEvent.objects.count(), _versions()) == before


def test_an_emergency_grant_opens_one_record_to_one_person(module_world, db):
    """The table's world holds no running grant; with one, the nurse's 403 on ``review:record``
    becomes 200 for that case alone, and for nobody else."""
    from review import emergency

    world = module_world
    emergency.grant(user=world.nurse, case_id=world.completed.pk, reason="Back in theatre")
    record, other = (
        reverse("review:record", args=[case.pk]) for case in (world.completed, world.other)
    )
    answers = {
        (column, url): ask(client_for(world, column), method, url).status_code
        for column in ("nurse", "scrub")
        for url in (record, other)
        for method in ("GET", "HEAD")
    }
    assert answers == {
        ("nurse", record): 200,
        ("nurse", other): 403,
        ("scrub", record): 403,
        ("scrub", other): 403,
    }
