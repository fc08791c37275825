"""Webhook deliveries: HMAC-SHA1 signatures, event kinds, removals."""

from __future__ import annotations

import json

from sourcesync.connectors.vercel import vercel_project_id
from sourcesync.connectors.vercel.spec import VercelConfig, VercelWebhooks
from sourcesync.connectors.vercel.webhooks import VercelDelivery
from sourcesync.connectors.webhooks import SourceChange, WebhookReply, WebhookRequest
from tests.fakes.vercel import fixture, sign

SECRET = "vercel-webhook-secret"


def _request(payload: dict[str, object], secret: str = SECRET) -> WebhookRequest:
    body = json.dumps(payload).encode()
    return WebhookRequest({"x-vercel-signature": sign(secret, body)}, body)


def test_the_signature_is_checked_on_the_raw_body() -> None:
    handler = VercelWebhooks()
    request = _request(fixture("webhook-deployment-created.json"))
    assert handler.verify(request, SECRET)
    assert not handler.verify(request, "another-secret")
    tampered = WebhookRequest(dict(request.headers), request.body.replace(b"sfo1", b"iad1"))
    assert not handler.verify(tampered, SECRET)
    assert not handler.verify(WebhookRequest({}, request.body), SECRET)


def test_a_deployment_event_asks_for_a_sync() -> None:
    handler = VercelWebhooks()
    delivery = handler.parse(_request(fixture("webhook-deployment-created.json")))
    assert isinstance(delivery, VercelDelivery)
    change = handler.change_for(delivery, VercelConfig())
    assert change == SourceChange(delivery_id="vercel:uev_2K9cHj3mKdDtF1Y8Zx0eLFdS")


def test_a_removed_project_is_deleted_at_once() -> None:
    handler = VercelWebhooks()
    payload = {"id": "uev_1", "type": "project.removed", "payload": {"project": {"id": "prj_1"}}}
    delivery = handler.parse(_request(payload))
    assert isinstance(delivery, VercelDelivery)
    change = handler.change_for(delivery, VercelConfig())
    assert change is not None and change.removed_ids == (vercel_project_id("prj_1"),)


def test_other_teams_projects_and_kinds_are_ignored() -> None:
    handler = VercelWebhooks()
    delivery = handler.parse(_request(fixture("webhook-deployment-created.json")))
    assert isinstance(delivery, VercelDelivery)
    assert handler.change_for(delivery, VercelConfig(team="team_other")) is None
    assert handler.change_for(delivery, VercelConfig(projects=["prj_other"])) is None
    assert handler.change_for(delivery, VercelConfig(projects=["checkout"])) is not None
    reply = handler.parse(_request({"id": "uev_2", "type": "domain.created", "payload": {}}))
    assert isinstance(reply, WebhookReply) and reply.status == 202
