"""Removing secrets from build logs before anything is stored or embedded.

Three kinds of text are replaced by ``[REDACTED]``: the value in ``NAME=value`` (or
``NAME: value``, ``"NAME": "value"``) for every environment variable NAME the project
defines and for names that say they hold a secret (``*_TOKEN``, ``*_SECRET``,
``*PASSWORD*``, ``*_KEY``...); tokens recognisable by their shape (GitHub, Stripe, AWS,
Slack, npm, OpenAI-style keys, JWTs, bearer credentials, passwords in URLs, private key
blocks). Redaction works on what a log shows; a value printed bare under no name and in
no known shape cannot be told from ordinary output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[REDACTED]"

_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*(?:SECRET|TOKEN|PASSWORD|PASSWD|PWD|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY"
    r"|CREDENTIALS?|AUTH|_KEY|DSN|DATABASE_URL|CONNECTION_STRING)[A-Za-z0-9_.-]*"
)
_TOKEN_SHAPES = re.compile(
    "|".join(
        (
            r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}",
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}",
            r"\bsk-[A-Za-z0-9_-]{20,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
            r"\bnpm_[A-Za-z0-9]{30,}",
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        )
    )
)
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}")
_URL_CREDENTIALS = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)


def _assignment(names: str, flags: int = 0) -> re.Pattern[str]:
    """``NAME=value``, ``NAME: value``, ``"NAME": "value"``, ``--name value`` not included."""
    return re.compile(
        rf"(?<![A-Za-z0-9_])(['\"]?(?:{names})['\"]?\s*(?:=|:)\s*)"
        r"(\"[^\"]*\"|'[^']*'|[^\s,;'\"]+)",
        flags,
    )


_SECRET_ASSIGNMENT = _assignment(_SECRET_NAME, re.IGNORECASE)


class Redactor:
    """Redacts a project's logs, knowing the names of the env vars it defines."""

    def __init__(self, env_names: Iterable[str] = ()) -> None:
        names = sorted({n for n in env_names if n}, key=len, reverse=True)
        self._named = _assignment("|".join(re.escape(n) for n in names)) if names else None

    def __call__(self, text: str) -> str:
        """``text`` with every secret it shows replaced by ``[REDACTED]``."""
        text = _PRIVATE_KEY.sub(REDACTED, text)
        # Credentials after a scheme word go first: "Authorization: Bearer X" must lose X,
        # not the word "Bearer".
        text = _BEARER.sub(rf"\1 {REDACTED}", text)
        text = _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text)
        if self._named is not None:
            text = self._named.sub(_keep_name, text)
        text = _SECRET_ASSIGNMENT.sub(_keep_name, text)
        return _TOKEN_SHAPES.sub(REDACTED, text)


def _keep_name(match: re.Match[str]) -> str:
    value = match.group(2)
    already = match.string[match.end() :].startswith(f" {REDACTED}")  # "Bearer [REDACTED]"
    if value.strip("'\"") == REDACTED or already:
        return match.group(0)
    return match.group(1) + REDACTED
