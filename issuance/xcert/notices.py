"""Notifications the core queues for chat delivery (the outbox), texts from the catalog."""

from __future__ import annotations

from issuance.core.catalog import locale_for, t
from issuance.store import Store
from issuance.xcert.records import IssuanceRecord

CHANNEL = "telegram"


async def resubmitted(store: Store, record: IssuanceRecord) -> None:
    """Tell the school's responsible person a refused record is back for signing."""
    head = await store.head_of(record.site_id)
    if head is None:
        return
    locale = locale_for(await store.language_of(head.id, CHANNEL))
    await store.enqueue(
        head.id,
        "message",
        {
            "text": t(
                "bot.resubmit.notice",
                locale,
                name=record.student_name,
                cert_no=record.cert_no,
                status=record.status,
            ),
            "buttons": [
                [
                    {
                        "text": t("bot.broadcast.open", locale),
                        "callback_data": f"b:{record.batch_id}:0",
                    }
                ]
            ],
        },
    )
