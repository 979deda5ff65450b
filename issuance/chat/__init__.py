"""The channel-neutral chat layer: typed button actions, screens, conversations, notify.

Telegram (`bot/telegram`), WeCom (`bot/wecom`) and any further channel use it the same way: a
handler parses a tap with `actions.parse` (one typed action, or None for a stale or forged
button), calls one desk function (`*_desk`: what the tap or word does) with the account's
`session.Session`, and renders the `screens.Screen` it answers in the reader's locale into its
own widgets; what a chat must remember between messages is a `conversation.Conversation` of
(channel, account), and the text it waits for goes to the desk named in `answers`; notices go
out through `notify`, which queues an outbox row for the person's channel. Nothing here imports a
chat framework.
"""
