"""Code-aware keyword terms: identifiers and plain words meet."""

import pytest

from sourcesync.search import keyword_terms


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("retry_after", "retry after retryafter"),
        ("RetryAfterError", "retry after error retryaftererror"),
        ("retry after", "retry after"),
        ("HTTPServerError", "http server error httpservererror"),
        ("getApp2Dir", "get app 2 dir getapp2dir"),
        ("__init__", "init"),
        ("foo.bar(baz-qux)", "foo bar baz qux"),
        ("it's", "it s"),
    ],
)
def test_identifiers_are_split_and_kept_whole(text: str, terms: str) -> None:
    assert keyword_terms(text) == terms


def test_runs_longer_than_any_word_are_dropped() -> None:
    digest = "a" * 64
    assert keyword_terms(f"sha {digest} done") == "sha done"
