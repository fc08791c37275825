"""Secrets leave build logs before anything is stored."""

from __future__ import annotations

import pytest

from sourcesync.connectors.vercel.redaction import REDACTED, Redactor


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("MY_FLAG=on-value-123", "on-value-123"),
        ("export MY_FLAG='quoted value'", "quoted value"),
        ('{"MY_FLAG": "json-value"}', "json-value"),
        ("MY_FLAG: yaml-value", "yaml-value"),
        ("STRIPE_SECRET_KEY=sk_live_abcdefgh12345678", "sk_live_abcdefgh12345678"),
        ("using sk_test_abcdefgh12345678 now", "sk_test_abcdefgh12345678"),
        ("clone with ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
        ("github_pat_11ABCDEFG0123456789_abcdefghij", "github_pat_11ABCDEFG0123456789_abcdefghij"),
        ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ("fetch https://user:s3cr3t-pass@registry.example.com/x", "s3cr3t-pass"),
        ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
        ("password=hunter22 other=fine", "hunter22"),
        ("API_TOKEN=tok-value-9", "tok-value-9"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM",
            "SflKxwRJSMeKKF2QT4fwpM",
        ),
        ("-----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA", "MIIEpAIBAAKCAQEA"),
    ],
)
def test_secrets_are_redacted(line: str, secret: str) -> None:
    redacted = Redactor(["MY_FLAG"])(line)
    assert secret not in redacted
    assert REDACTED in redacted


def test_ordinary_output_is_kept() -> None:
    line = "Compiled successfully in 42s; commit 3f2c1e9d0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
    assert Redactor(["MY_FLAG"])(line) == line


def test_a_project_variable_keeps_its_name() -> None:
    assert Redactor(["NEXT_PUBLIC_API_URL"])("NEXT_PUBLIC_API_URL=https://x.example") == (
        f"NEXT_PUBLIC_API_URL={REDACTED}"
    )
