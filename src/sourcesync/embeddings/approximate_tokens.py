"""A tokenizer-free token estimate for remote models whose tokenizer is not at hand."""

import re

__all__ = ["ApproximateTokenizer"]

# ASCII word characters in runs of up to four, and every other non-space character alone.
_APPROXIMATE_TOKEN = re.compile(r"[A-Za-z0-9_]{1,4}|[^\sA-Za-z0-9_]")


class ApproximateTokenizer:
    """Estimates tokens as BPE tokenizers tend to cut them, erring on the high side.

    English averages about four characters per BPE token, so ASCII words count one token
    per four characters, and every other character (punctuation, accented or CJK letters)
    counts one. Real tokenizers usually find fewer, so chunks sized with this estimate fit.
    """

    def count_tokens(self, text: str) -> int:
        return sum(1 for _ in _APPROXIMATE_TOKEN.finditer(text))

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _APPROXIMATE_TOKEN.finditer(text)]
