"""getUpdates and the webhook methods."""

from __future__ import annotations

import re
from typing import Any

from bot.standin.errors import bad_request
from bot.standin.params import Params
from bot.standin.registry import method
from bot.standin.state import State
from bot.standin.webhook import WebhookConfig

JsonDict = dict[str, Any]
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _allowed_updates(p: Params) -> list[str] | None:
    allowed = p.opt_json("allowed_updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        raise bad_request("can't parse allowed_updates JSON array")
    return allowed


@method("getUpdates")
async def get_updates(st: State, p: Params) -> list[JsonDict]:
    """getUpdates: long polling; 409 while a webhook is set or when superseded."""
    limit = p.opt_int("limit") or 100
    return await st.updates.poll(
        offset=p.opt_int("offset"),
        limit=min(max(limit, 1), 100),
        timeout=p.opt_float("timeout") or 0.0,
        allowed=_allowed_updates(p),
    )


@method("setWebhook")
async def set_webhook(st: State, p: Params) -> bool:
    """setWebhook (http URLs are accepted too: the receiver is a local test server)."""
    url = p.opt_str("url") or ""
    secret = p.opt_str("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    max_connections = p.opt_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if p.flag("drop_pending_updates"):
        st.updates.drop_pending()
    config = WebhookConfig(
        url, secret, max_connections, _allowed_updates(p), p.opt_str("ip_address")
    )
    await st.webhook.configure(config)
    st.record("webhook_set" if url else "webhook_deleted", None, url=url)
    return True


@method("deleteWebhook")
async def delete_webhook(st: State, p: Params) -> bool:
    """deleteWebhook."""
    if p.flag("drop_pending_updates"):
        st.updates.drop_pending()
    if st.webhook.active:
        await st.webhook.configure(WebhookConfig())
        st.record("webhook_deleted", None)
    return True


@method("getWebhookInfo")
async def get_webhook_info(st: State, p: Params) -> JsonDict:
    """getWebhookInfo."""
    return st.webhook.info()
