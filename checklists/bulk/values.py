"""Planned cases' rows as the database driver takes them: one tuple per row, in the column
order of ``checklists.bulk.columns``, with times, days, decimals and JSON as Django's SQLite
backend stores them (text) or as PostgreSQL's driver takes them (Python values)."""

import datetime
import json
from typing import Any

from django.db import models

from checklists.bulk.columns import SNAPSHOT_COLUMNS, Event, StepAnswer
from checklists.bulk.plan import PlannedTimeOut
from checklists.models import CaseStep, Implant, Signature

UTC = datetime.UTC


class RowValues:
    """The value tuples of one engine's rows. ``sqlite``: as Django's SQLite backend stores
    them; otherwise as PostgreSQL's driver takes them."""

    def __init__(self, *, sqlite: bool) -> None:
        self.sqlite = sqlite
        # Layout steps live as long as the cast, so their ids are stable keys.
        self._snapshots: dict[int, tuple] = {}

    def step_row(self, pk: int, case_id: int, step: CaseStep, answer: StepAnswer) -> tuple:
        return (
            pk,
            case_id,
            *self.snapshot_columns(step),
            answer.status,
            answer.value,
            answer.note,
            answer.na_reason,
            answer.recorded_by_id,
            self.dt(answer.recorded_at),
            answer.recorded_for,
            answer.revision,
            answer.stop_override_reason,
            answer.stop_overridden_by_id,
            self.dt(answer.stop_overridden_at),
        )

    def snapshot_columns(self, step: CaseStep) -> tuple:
        """A step row's ``SNAPSHOT_COLUMNS``: the same for every case of its layout, so made
        once."""
        key = id(step)
        if key not in self._snapshots:
            self._snapshots[key] = tuple(
                self.value(CaseStep._meta.get_field(name), getattr(step, name))
                for name in SNAPSHOT_COLUMNS
            )
        return self._snapshots[key]

    def implant_row(self, implant: Implant) -> tuple:
        return (
            implant.pk,
            implant.case_id,
            implant.side,
            implant.position,
            implant.manufacturer,
            implant.product,
            implant.size,
            implant.lot,
            self.date(implant.expiry),
            implant.serial,
            implant.gtin,
            implant.udi,
            implant.expiry_override_reason,
            implant.entry,
            implant.carrier,
            implant.duplicate_override_reason,
            implant.wasted_reason,
            self.date(implant.explanted_on),
            implant.explant_reason,
            implant.added_by_id,
            self.dt(implant.added_at),
            implant.read_back_by_id,
            self.dt(implant.read_back_at),
        )

    def time_out_row(self, pk: int, case_id: int, time_out: PlannedTimeOut) -> tuple:
        ended = time_out.ended_at is not None
        nurse = time_out.circulating_nurse.pk

        def team(value: Any) -> Any:
            return value if ended else None

        return (
            pk,
            case_id,
            time_out.side,
            nurse,
            self.dt(time_out.started_at),
            team(nurse),
            self.dt(time_out.ended_at),
            team(time_out.surgeon.pk),
            team(time_out.anaesthetist.pk),
            team(nurse),
            team(time_out.scrub.pk if time_out.scrub else None),
            team(time_out.all_items_spoken),
            team(time_out.everyone_present),
            team(time_out.interruptions),
            # Made stale by a Stop (``lapses``); generated cases keep their surgeon.
            self.dt(time_out.invalidated_at),
            time_out.invalidated_by.pk if time_out.invalidated_by else None,
            time_out.invalidated_reason,
        )

    def signature_row(self, signature: Signature) -> tuple:
        return (
            signature.pk,
            signature.case_id,
            signature.signer_id,
            signature.printed_name,
            signature.meaning,
            self.dt(signature.signed_at),
            signature.content_hash,
            signature.reason,
            signature.amended_step_id,
        )

    def event_row(self, pk: int, event: Event) -> tuple:
        return (
            pk,
            event.case_id,
            event.seq,
            event.step_id,
            event.actor_id,
            event.action,
            _json(event.before),
            _json(event.after),
            self.dt(event.created_at),
            event.remote_addr,
            event.user_agent,
            event.prev_hash,
            event.hash,
            event.key_id,
        )

    def value(self, model_field: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(model_field, models.DecimalField):
            return str(value) if self.sqlite else value
        if isinstance(model_field, models.JSONField):
            return json.dumps(value)
        return value

    def dt(self, moment: datetime.datetime | None) -> Any:
        if moment is None:
            return None
        # SQLite stores UTC as text, as Django's adapter does; PostgreSQL takes the datetime.
        return str(moment.astimezone(UTC).replace(tzinfo=None)) if self.sqlite else moment

    def date(self, day: datetime.date | None) -> Any:
        if day is None:
            return None
        return day.isoformat() if self.sqlite else day


def _json(value: Any) -> str | None:
    # As Django's JSONField stores it on SQLite (PostgreSQL parses it into jsonb).
    return None if value is None else json.dumps(value)
