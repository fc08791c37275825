"""Code-aware keyword terms, so that `retry_after`, `RetryAfterError` and "retry after" meet.

Words are runs of letters, digits and underscores; each is split at underscores and case
changes (`HTTPServerError` → http, server, error), and a compound one is also kept whole
(`retryafter`), so an
exact identifier in the question ranks its own definition above mere mentions of its
parts. Terms are lower-cased ASCII words; the keyword index stems them and drops stop words.
"""

import re

__all__ = ["keyword_terms"]

_WORD = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*")
_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_MAX_TERM = 40
"""Longer runs (hashes, base64) are not words anyone searches for."""


def keyword_terms(text: str) -> str:
    """The space-separated terms the keyword index reads for `text`."""
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        parts = [part.lower() for piece in word.split("_") for part in _CAMEL_PART.findall(piece)]
        terms.extend(part for part in parts if len(part) <= _MAX_TERM)
        if len(parts) > 1:
            whole = "".join(parts)
            if len(whole) <= _MAX_TERM:
                terms.append(whole)
    return " ".join(terms)
