"""The channel-neutral chat layer: typed button actions, screens, conversations, notify.

Telegram (`channels/telegram`) and any further channel render screens and parse taps through
here; nothing here imports a chat framework.
"""
