import json
from pathlib import Path

import pytest

from sourcesync.connectors.github.webhooks import (
    WebhookPayloadError,
    parse_push_event,
    verify_signature,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"
VECTOR = json.loads((FIXTURES / "webhook-signature-test-vector.json").read_text())


def test_githubs_test_vector_verifies() -> None:
    body = VECTOR["payload"].encode()

    assert verify_signature(VECTOR["secret"], body, VECTOR["X-Hub-Signature-256"])
    assert verify_signature(VECTOR["secret"].encode(), body, VECTOR["X-Hub-Signature-256"])


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        ("another secret", VECTOR["payload"], VECTOR["X-Hub-Signature-256"]),
        (VECTOR["secret"], VECTOR["payload"] + " ", VECTOR["X-Hub-Signature-256"]),
        (VECTOR["secret"], VECTOR["payload"], VECTOR["signature"]),  # no "sha256=" prefix
        (VECTOR["secret"], VECTOR["payload"], "sha1=" + VECTOR["signature"]),
        (VECTOR["secret"], VECTOR["payload"], VECTOR["X-Hub-Signature-256"].upper()),
        (VECTOR["secret"], VECTOR["payload"], ""),
        (VECTOR["secret"], VECTOR["payload"], None),
    ],
)
def test_anything_else_fails(secret: str, body: str, header: str | None) -> None:
    assert not verify_signature(secret, body.encode(), header)


def test_a_push_creating_a_branch_is_parsed() -> None:
    body = (FIXTURES / "push-webhook-new-branch-octokit.json").read_bytes()

    event = parse_push_event(body, "72d3162e-cc78-11e3-81ab-4c9367dc0958")

    assert event.ref == "refs/heads/master"
    assert event.branch == "master"
    assert event.before == "0" * 40
    assert event.after == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert event.repository == "Codertocat/Hello-World"
    assert event.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert (event.created, event.deleted) == (True, False)


def test_a_push_deleting_a_tag_has_no_branch() -> None:
    body = (FIXTURES / "push-webhook-with-installation-octokit.json").read_bytes()

    event = parse_push_event(body, "delivery")

    assert event.branch is None
    assert event.deleted
    assert event.after == "0" * 40


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"ref": "refs/heads/main"}', b"[]"])
def test_a_body_that_is_no_push_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError, match="not a GitHub push payload"):
        parse_push_event(body, "delivery")
