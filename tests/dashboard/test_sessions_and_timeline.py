"""Signed sessions and links, and spans laid out on a time axis."""

from __future__ import annotations

import time

import pytest

from sourcesync.dashboard.sessions import Purpose, UsedLinks, csrf_token, sign, verify
from sourcesync.dashboard.timeline import AXIS_WIDTH, Span, lay_out

KEY = b"k" * 32


def test_a_signed_value_is_bound_to_its_key_purpose_and_expiry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    value = sign(KEY, Purpose.SESSION, "tok_1", 60)
    grant = verify(KEY, Purpose.SESSION, value)
    assert grant is not None and grant.token_id == "tok_1"
    assert verify(b"x" * 32, Purpose.SESSION, value) is None
    assert verify(KEY, Purpose.LOGIN_LINK, value) is None  # a cookie is not a login link
    body, signature = value.split(".")
    assert verify(KEY, Purpose.SESSION, body[:-2] + "AA." + signature) is None
    for junk in (None, "", "no-dot", "a.b.c", "!!.??"):
        assert verify(KEY, Purpose.SESSION, junk) is None
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert verify(KEY, Purpose.SESSION, value) is None


def test_each_session_has_its_own_csrf_token_and_links_work_once() -> None:
    first = verify(KEY, Purpose.LOGIN_LINK, sign(KEY, Purpose.LOGIN_LINK, "tok_1", 60))
    second = verify(KEY, Purpose.LOGIN_LINK, sign(KEY, Purpose.LOGIN_LINK, "tok_1", 60))
    assert first is not None and second is not None
    assert csrf_token(KEY, first) != csrf_token(KEY, second)
    used = UsedLinks()
    assert used.claim(first) and not used.claim(first) and used.claim(second)


def test_spans_are_placed_on_the_axis_and_running_ones_reach_its_end() -> None:
    spans = [
        Span("whole", 1_000, 2_000, "Completed"),
        Span("second half", 1_500, 2_000, "Failed"),
        Span("running", 1_900, None, "Running"),
        Span("instant", 1_000, 1_000, "Completed"),
    ]
    whole, half, running, instant = lay_out(spans, 1_000, 2_000)
    assert (whole.x, whole.width) == (0, AXIS_WIDTH)
    assert (half.x, half.width, half.offset_ms, half.duration_ms) == (500, 500, 500, 500)
    assert (running.x, running.width, running.duration_ms) == (900, 100, None)
    assert instant.width >= 1  # still visible
