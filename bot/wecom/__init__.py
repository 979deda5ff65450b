"""WeCom (企业微信) channel: callbacks in, API calls out, the same conversations as the bot."""
