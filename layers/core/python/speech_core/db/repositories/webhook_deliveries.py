"""Webhook deliveries: every try recorded, keyed by (delivery id, attempt)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from speech_core.db.records import NewWebhookDelivery, WebhookDeliveryRecord
from speech_core.db.tables import WebhookDelivery


class SqlWebhookDeliveryRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record_delivery(self, delivery: NewWebhookDelivery) -> WebhookDeliveryRecord:
        """Record one try; recording the same (id, attempt) again overwrites its outcome (a redelivered step)."""
        values = delivery.model_dump()
        with self._sessions.begin() as session:
            row = session.scalar(
                insert(WebhookDelivery)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=[WebhookDelivery.id, WebhookDelivery.attempt],
                    set_={
                        "status_code": delivery.status_code,
                        "error": delivery.error,
                        "delivered": delivery.delivered,
                    },
                )
                .returning(WebhookDelivery)
            )
            return WebhookDeliveryRecord.model_validate(row)

    def list_deliveries(self, job_id: uuid.UUID) -> list[WebhookDeliveryRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.job_id == job_id)
                .order_by(WebhookDelivery.created_at, WebhookDelivery.attempt)
            )
            return [WebhookDeliveryRecord.model_validate(row) for row in rows]
