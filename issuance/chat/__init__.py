"""The channel-neutral chat layer: typed button actions, screens, conversations, notify.

Telegram (`bot/telegram`) and any further channel use it the same way: a handler parses a
tap with `actions.parse` (one typed action, or None for a stale or forged button), calls one core
use case, and renders a `screens.Screen` in the reader's locale into its own widgets; what a chat
must remember between messages is a `conversation.Conversation` of (channel, account); notices go
out through `notify`, which queues an outbox row for the person's channel. Nothing here imports a
chat framework.
"""
