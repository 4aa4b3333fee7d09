"""Stripe-Signature verification: the maths against an HMAC computed outside Python, the stored
per-tenant secret, the CLI that sets it, and POST /v1/webhooks/stripe enforcing it."""

from __future__ import annotations

import time

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from config import Settings
from ingest.webhooks.signatures import (
    InvalidSignatureError,
    MalformedSignatureError,
    parse_stripe_signature,
    stripe_signature,
    verify_stripe_signature,
)
from serving.app import create_app
from serving.auth import ApiKeyStore, UnknownWebhookSourceError, WebhookSecretStore

SECRET = "whsec_test"
SIGNED_AT = 1_700_000_000
BODY = b'{"id":"evt_1"}'
# printf '%s' '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac 'whsec_test'
EXPECTED_V1 = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"


def test_signature_is_the_hmac_sha256_of_timestamp_dot_body() -> None:
    assert stripe_signature(SECRET, SIGNED_AT, BODY) == EXPECTED_V1


def test_verify_accepts_any_matching_v1_within_the_tolerance() -> None:
    header = f"t={SIGNED_AT},v1={'0' * 64},v1={EXPECTED_V1},v0=ignored"
    assert verify_stripe_signature(header, BODY, SECRET, now=SIGNED_AT + 300) == SIGNED_AT
    assert verify_stripe_signature(header, BODY, SECRET, now=SIGNED_AT - 299) == SIGNED_AT


@pytest.mark.parametrize(
    ("header", "body", "now", "message"),
    [
        (f"t={SIGNED_AT},v1={EXPECTED_V1}", b'{"id":"evt_2"}', SIGNED_AT, "no v1 signature"),
        (f"t={SIGNED_AT + 1},v1={EXPECTED_V1}", BODY, SIGNED_AT, "no v1 signature"),
        (f"t={SIGNED_AT},v1={EXPECTED_V1}", BODY, SIGNED_AT + 301, "outside the 300 s"),
    ],
)
def test_verify_rejects_a_changed_body_timestamp_or_a_stale_signature(
    header: str, body: bytes, now: float, message: str
) -> None:
    with pytest.raises(InvalidSignatureError, match=message):
        verify_stripe_signature(header, body, SECRET, now=now)


def test_a_wrong_secret_does_not_verify() -> None:
    with pytest.raises(InvalidSignatureError):
        verify_stripe_signature(
            f"t={SIGNED_AT},v1={EXPECTED_V1}", BODY, "whsec_other", now=SIGNED_AT
        )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        (f"v1={EXPECTED_V1}", "no t="),
        (f"t={SIGNED_AT}", "no v1="),
        (f"t=soon,v1={EXPECTED_V1}", "not an integer"),
        (f"t={SIGNED_AT};v1={EXPECTED_V1}", "not an integer"),
        (f"t={SIGNED_AT},garbage", "not key=value"),
    ],
)
def test_malformed_headers(header: str | None, message: str) -> None:
    with pytest.raises(MalformedSignatureError, match=message):
        parse_stripe_signature(header)


def test_secret_store_is_per_tenant_and_source(settings: Settings) -> None:
    store = WebhookSecretStore(settings.auth_db_path)
    assert store.get("acme", "stripe") is None
    store.set("acme", "stripe", " whsec_a ")
    store.set("acme", "stripe", "whsec_b")  # replaces
    assert (store.get("acme", "stripe"), store.get("globex", "stripe")) == ("whsec_b", None)
    with pytest.raises(UnknownWebhookSourceError):
        store.set("acme", "sendgrid", "x")
    # The keys in the same file are unaffected.
    key = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    assert ApiKeyStore(settings.auth_db_path).authenticate(key) is not None
    assert (store.remove("acme", "stripe"), store.remove("acme", "stripe")) == (True, False)


def _post(client: TestClient, key: str, signature: str | None) -> tuple[int, dict[str, object]]:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    response = client.post("/v1/webhooks/stripe", content=BODY, headers=headers)
    return response.status_code, response.json()


def test_stripe_webhook_enforces_the_signature_only_for_tenants_with_a_secret(
    settings: Settings,
) -> None:
    keys = ApiKeyStore(settings.auth_db_path)
    acme, globex = keys.create("acme")[1], keys.create("globex")[1]
    WebhookSecretStore(settings.auth_db_path).set("acme", "stripe", SECRET)
    now = int(time.time())
    fresh = f"t={now},v1={stripe_signature(SECRET, now, BODY)}"
    stale = f"t={now - 301},v1={stripe_signature(SECRET, now - 301, BODY)}"
    with TestClient(create_app(settings)) as client:
        signed = _post(client, acme, fresh)
        unsigned = _post(client, acme, None)
        wrong = _post(client, acme, f"t={now},v1={'0' * 64}")
        expired = _post(client, acme, stale)
        other_tenant = _post(client, globex, None)
    # Signed correctly: the body goes on to the mapper (this event type is not a billing one).
    assert signed[0] == 200
    assert signed[1]["rejected"] == 1
    assert other_tenant[0] == 200  # no secret configured: nothing enforced
    assert unsigned[0] == 400
    assert (wrong[0], expired[0]) == (401, 401)
    for _, problem in (unsigned, wrong, expired):
        assert problem["type"] == "urn:irisx:problem:webhook-signature"
    assert "outside the 300 s tolerance" in str(expired[1]["detail"])


def test_cli_sets_the_secret_from_a_hidden_prompt(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from irisx.commands import webhook_secret

    monkeypatch.setattr("config.get_settings", lambda: settings)
    app = typer.Typer()
    webhook_secret.register(app)
    runner = CliRunner()
    result = runner.invoke(
        app, ["webhook-secret", "set", "--tenant", "acme", "--source", "stripe"], input="whsec_z\n"
    )
    assert result.exit_code == 0, result.output
    assert "whsec_z" not in result.output
    assert WebhookSecretStore(settings.auth_db_path).get("acme", "stripe") == "whsec_z"
    refused = runner.invoke(
        app, ["webhook-secret", "set", "--tenant", "acme", "--source", "smtp", "--secret", "x"]
    )
    assert refused.exit_code == 2
    assert "signatures are verified for stripe only" in refused.output
