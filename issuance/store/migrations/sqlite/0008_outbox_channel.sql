-- Each outbox row names the channel it goes out on (Telegram, later WeCom): `notify` picks the
-- person's channel when it queues the row, and each channel's sender claims only its own rows.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox(channel, status, not_before);
