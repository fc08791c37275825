"""What a result shows of its best chunk: the few lines that hold the question's words.

A chunk is up to 250 tokens, far more than a result list can show, and its first lines are
often imports or a signature. So a snippet is the window of `SNIPPET_LINES` lines holding
the most distinct query words, matched as the keyword index matches them (code-aware terms,
stemmed: "retrying after" finds `retry_after`), or the chunk's first lines when none is
there (a match by meaning alone). Lines keep their order and relative indentation, since
code is read by its shape; prose lines are wrapped first, so a long paragraph is windowed
like code. The snippet says which lines of the chunk it shows, for the result's line range.
"""

import textwrap
from dataclasses import dataclass

from sourcesync.search.keywords import keyword_terms
from sourcesync.stores.sparse_keywords import stems

__all__ = ["SNIPPET_LINES", "Snippet", "snippet"]

SNIPPET_LINES = 6
LINE_CHARS = 110
"""Longer lines are wrapped, keeping their indentation."""


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    first_line: int
    """The chunk's line (0 for its first) that the snippet starts on."""
    last_line: int
    """The chunk's line the snippet ends on."""


def _words(text: str) -> set[str]:
    return set(stems(keyword_terms(text)))


def _display_lines(text: str) -> list[tuple[int, str]]:
    """The chunk's lines, each long one wrapped, with the chunk line each comes from."""
    shown: list[tuple[int, str]] = []
    for number, raw in enumerate(text.expandtabs(4).splitlines()):
        line = raw.rstrip()
        if len(line) <= LINE_CHARS:
            shown.append((number, line))
            continue
        indent = line[: len(line) - len(line.lstrip())]
        shown += [
            (number, part) for part in textwrap.wrap(line, LINE_CHARS, subsequent_indent=indent)
        ]
    return shown


def _best_start(lines: list[set[str]], wanted: set[str], size: int) -> int:
    """The first line of the window covering the most distinct wanted words; of equals,
    the one whose lines hold them most often, then the earliest."""
    hits = [len(words & wanted) for words in lines]
    best, best_start = (0, 0), 0
    for start in range(max(1, len(lines) - size + 1)):
        covered = len(set().union(*lines[start : start + size]) & wanted)
        rank = (covered, sum(hits[start : start + size]))
        if rank > best:
            best, best_start = rank, start
    return best_start


def snippet(text: str, query: str, *, max_lines: int = SNIPPET_LINES) -> Snippet:
    """The window of `text` that best shows why it answers `query`."""
    shown = _display_lines(text)
    # Blank lines hold no words and waste a snippet's few lines: a run of them shows as one.
    compact = [
        item
        for index, item in enumerate(shown)
        if item[1].strip() or (index > 0 and shown[index - 1][1].strip())
    ]
    if not any(line.strip() for _, line in compact):
        return Snippet("", 0, 0)
    wanted = _words(query)
    start = _best_start([_words(line) for _, line in compact], wanted, max_lines) if wanted else 0
    window = compact[start : start + max_lines]
    while window and not window[0][1].strip():
        window = window[1:]
    while window and not window[-1][1].strip():
        window = window[:-1]
    body = textwrap.dedent("\n".join(line for _, line in window))
    return Snippet(body, window[0][0], window[-1][0])
