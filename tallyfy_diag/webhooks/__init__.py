"""Tallyfy webhooks: parse a delivery into the generated models, and a local receiver that checks deliveries.

parse_webhook(body, headers)  -> ProcessWebhook | TaskWebhook, validated against the spec (MalformedWebhook)
summarize(webhook)            -> WebhookSummary: kind, inferred event, names, duplicate identity
WebhookReceiver               -> the ASGI app behind `tallyfy-diag webhook listen`
WebhookListener               -> that app on a real socket, in a background thread
"""

from tallyfy_diag.webhooks._listener import WebhookListener
from tallyfy_diag.webhooks._parse import (
    MalformedWebhook,
    Webhook,
    WebhookSummary,
    org_id_of,
    parse_webhook,
    summarize,
)
from tallyfy_diag.webhooks._receiver import Delivery, WebhookReceiver

__all__ = [
    "Delivery",
    "MalformedWebhook",
    "Webhook",
    "WebhookListener",
    "WebhookReceiver",
    "WebhookSummary",
    "org_id_of",
    "parse_webhook",
    "summarize",
]
