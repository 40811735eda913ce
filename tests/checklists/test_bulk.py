import itertools
import random

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from accounts import roles
from checklists import quality, workflow
from checklists.audit import verify_audit, verify_chains
from checklists.bulk import cast, plan
from checklists.choices import AuditAction, CaseStatus, SignatureMeaning, StepStatus
from checklists.compliance import STEP_FIELDS, StepFacts, compliance_of
from checklists.models import (
    AuditEvent,
    Case,
    CaseQuality,
    CaseStep,
    Concern,
    Implant,
    Signature,
)


@pytest.fixture
def generated(db, settings):
    settings.DEBUG = True  # pytest-django runs tests with DEBUG off
    call_command("generate_cases", "--count", "300", "--seed", "41", "--batch-size", "120")
    return Case.objects.all()


def test_it_makes_the_cases_asked_for_with_audit_chains_that_verify(generated):
    assert generated.count() == 300
    verdict = verify_chains()
    assert verdict.ok, verdict.breaks[:3]
    assert verdict.cases == 300
    assert verdict.events == AuditEvent.objects.count() > 300 * 30


def test_its_chains_replay_into_the_rows_it_wrote(generated):
    verdict = verify_audit()
    assert verdict.ok, [str(problem) for problem in verdict.problems[:3]]
    assert (verdict.cases, verdict.identity_unsealed) == (300, 0)


def test_it_spreads_cases_over_the_past_year_rooms_surgeons_and_both_procedures(generated):
    now = timezone.now()
    starts = generated.values_list("scheduled_start", flat=True)
    # Up to 365 days back, a weekend list moved to the Friday before (2 days more), at any time
    # of that day: within 368 days, whatever the time the test runs at.
    assert all(now - timezone.timedelta(days=368) < start < now for start in starts)
    assert generated.values("room").distinct().count() == len(plan.ROOMS)
    assert generated.values("procedure").distinct().count() == 2
    assert generated.values("surgeon").distinct().count() == len(cast.SURGEONS)
    surgeons = User.objects.filter(groups__name=roles.SURGEON, username__startswith="syn.")
    assert surgeons.count() == len(cast.SURGEONS)
    assert not any(user.has_usable_password() for user in surgeons)


def test_most_cases_are_signed_out_and_reviewed_some_cancelled(generated):
    statuses = dict(generated.values_list("status").annotate(n=Count("pk")))
    assert statuses[CaseStatus.REVIEWED] > statuses[CaseStatus.COMPLETED] > 0
    assert 0 < statuses.get(CaseStatus.CANCELLED, 0) < 30
    assert set(statuses) <= {CaseStatus.REVIEWED, CaseStatus.COMPLETED, CaseStatus.CANCELLED}


def test_some_cases_are_bilateral_amended_or_have_steps_not_applicable(generated):
    assert generated.filter(laterality="bilateral").count() > 20
    amendments = Signature.objects.filter(meaning=SignatureMeaning.AMENDMENT)
    assert amendments.exists()
    assert AuditEvent.objects.filter(action=AuditAction.STEP_AMENDED).count() == amendments.count()
    assert CaseStep.objects.filter(status=StepStatus.NOT_APPLICABLE).exclude(na_reason="").exists()
    assert Implant.objects.exclude(udi="").count() == Implant.objects.count() > 0


def test_each_case_matches_its_own_audit_trail(generated):
    for case in generated.filter(status=CaseStatus.REVIEWED)[:20]:
        events = list(case.audit_events.order_by("seq"))
        assert (case.audit_seq, case.audit_head) == (events[-1].seq, events[-1].hash)
        assert events[0].action == AuditAction.CASE_CREATED
        recorded = case.steps.exclude(status=StepStatus.PENDING).count()
        step_events = [e for e in events if e.action == AuditAction.STEP_RECORDED]
        assert len(step_events) == recorded
        assert case.started_at == min(e.created_at for e in events[1:])
        assert events[-1].action == AuditAction.REVIEWED
        assert case.reviewed_at == events[-1].created_at


def test_signatures_bind_the_content_as_the_workflow_computes_it(generated):
    for signature in Signature.objects.select_related("case").order_by("-signed_at")[:30]:
        latest = signature.case.signatures.order_by("-signed_at").first()
        if signature == latest:
            assert signature.content_hash == workflow.case_content_hash(signature.case)


def test_each_case_carries_the_compliance_facts_its_steps_give(generated):
    steps = CaseStep.objects.order_by("case_id").values_list("case_id", *STEP_FIELDS)
    by_case = {
        case_id: compliance_of(StepFacts(*row[1:]) for row in rows)
        for case_id, rows in itertools.groupby(steps, key=lambda row: row[0])
    }
    amended = set(
        Signature.objects.filter(meaning=SignatureMeaning.AMENDMENT).values_list("case", flat=True)
    )
    cases = generated.order_by("pk")
    for case in cases:
        facts = by_case[case.pk]
        assert (case.time_out_at, case.incision_at, case.required_complete) == (
            facts.time_out_at,
            facts.incision_at,
            facts.required_complete,
        ), case.pk
        assert case.amended == (case.pk in amended)
    # Varied enough to say something: late Time Outs, cases cancelled before their end.
    assert sum(not facts.time_out_before_incision for facts in by_case.values()) > 3
    assert cases.filter(required_complete=False, status=CaseStatus.CANCELLED).exists()
    assert not cases.filter(required_complete=False).exclude(status=CaseStatus.CANCELLED)


def test_each_closed_case_carries_its_quality_facts_some_less_than_well(generated):
    """What the dashboard's quality charts need: every closed case's facts, as a rebuild
    writes them, with scrubs missing, attestations not all yes, Stops and repeated Time Outs,
    and catch-up entries among them, and nothing flagged in the rest."""
    kept = {row.case_id: _quality(row) for row in CaseQuality.objects.all()}
    assert set(kept) == set(
        generated.filter(status__in=quality.CLOSED).values_list("pk", flat=True)
    )

    quality.rebuild()

    assert {row.case_id: _quality(row) for row in CaseQuality.objects.all()} == kept
    rows = CaseQuality.objects.filter(case__status__in=["completed", "reviewed"])
    assert rows.filter(scrub_present=False).exists()
    assert rows.filter(quality.attested_badly_q()).exists()
    assert rows.filter(stops__gt=0, time_outs_repeated__gt=0).exists()
    assert Concern.objects.filter(resolved_at__isnull=False).exists()
    caught_up = rows.filter(recorded_after_the_fact=True)
    assert caught_up.exists()
    assert not caught_up.filter(busiest_minute_steps__lt=quality.BURST_STEPS).exists()
    # A team's pace never looks like a catch-up: well clear of the threshold.
    kept_pace = rows.filter(recorded_after_the_fact=False)
    assert max(kept_pace.values_list("busiest_minute_steps", flat=True)) <= quality.BURST_STEPS - 3
    assert not rows.filter(steps_after_closing__gt=0).exists()


def _quality(row: CaseQuality) -> tuple:
    return tuple(getattr(row, name) for name in quality.QUALITY_FIELDS)


def test_generated_cases_can_still_go_through_the_workflow(generated, reviewer):
    case = generated.filter(status=CaseStatus.COMPLETED).first()
    workflow.mark_reviewed(actor=reviewer, case_id=case.pk, comment="Fine")
    assert verify_chains(case_ids=[case.pk]).ok


def test_new_rows_after_generating_take_fresh_ids(generated, nurse, surgeon):
    from tests.conftest import make_case, make_procedure

    case = make_case(make_procedure({"title": "Only"}), actor=nurse, surgeon=surgeon)
    assert case.pk > generated.exclude(pk=case.pk).order_by("-pk").first().pk


def test_the_same_seed_plans_the_same_cases(db):
    staff = cast.prepare_cast()
    now = timezone.now()

    def plans(seed):
        planner = plan.Planner(staff, rng=random.Random(seed), now=now, days=365)
        return [
            (p.patient, p.room, p.start, p.outcome, len(p.answers), len(p.implants))
            for p in (planner.plan() for _ in range(50))
        ]

    assert plans(5) == plans(5)
    assert plans(5) != plans(6)


def test_it_refuses_to_run_with_debug_off_unless_forced(db, settings):
    assert not settings.DEBUG
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_cases", "--count", "1")
    assert not Case.objects.exists()

    call_command("generate_cases", "--count", "2", "--force")
    assert Case.objects.count() == 2


def test_a_count_below_one_is_refused(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_cases", "--count", "0", "--force")


def test_a_device_serial_is_generated_once_even_by_a_second_run_of_the_same_seed(generated):
    # The same seed plans the same serials first; those in the database are drawn again.
    call_command("generate_cases", "--count", "300", "--seed", "41", "--batch-size", "120")

    implants = Implant.objects.exclude(serial="")
    twice = implants.values("gtin", "serial").annotate(n=Count("pk")).filter(n__gt=1)
    assert implants.count() > 1000
    assert list(twice) == []
