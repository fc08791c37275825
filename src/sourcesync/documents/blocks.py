"""Splitting text into structural blocks: sections, top-level code blocks, paragraphs.

A block is a range of whole lines with no blank line at either end. Chunking measures
blocks in tokens, subdivides the ones that are too large and merges the small ones.
"""

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Block",
    "Lines",
    "code_blocks",
    "inner_code_blocks",
    "markdown_blocks",
    "paragraph_blocks",
    "restructuredtext_blocks",
]

_ATX_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_RST_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1{2,}[ \t]*$")
# A top-level line that closes a construct rather than starting one.
_CLOSING_LINE = re.compile(r"[)\]}]|(?:end|fi|done|esac)\b\s*;?\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    """Lines `first`..`last` (0-based, inclusive) under the headings in `heading_path`."""

    first: int
    last: int
    heading_path: tuple[str, ...] = ()


class Lines:
    """A text's lines (split on LF only), where each starts and how far each is indented.

    `indents[n]` is the number of leading whitespace characters of line `n`, or -1 when
    the line is blank; computed once, since splitters look at lines many times.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0] * len(self.lines)
        self.indents = [-1] * len(self.lines)
        offset = 0
        for number, line in enumerate(self.lines):
            self.starts[number] = offset
            offset += len(line) + 1
            content = line.lstrip()
            if content:
                self.indents[number] = len(line) - len(content)

    def __len__(self) -> int:
        return len(self.lines)

    def is_blank(self, number: int) -> bool:
        return self.indents[number] < 0

    def start_of(self, number: int) -> int:
        return self.starts[number]

    def end_of(self, number: int) -> int:
        return self.starts[number] + len(self.lines[number])

    def line_at(self, offset: int) -> int:
        """Return the number of the line holding character `offset`."""
        return bisect_right(self.starts, offset) - 1


def _trimmed(lines: Lines, first: int, last: int, heading_path: tuple[str, ...]) -> Block | None:
    while first <= last and lines.is_blank(first):
        first += 1
    while last >= first and lines.is_blank(last):
        last -= 1
    return Block(first, last, heading_path) if first <= last else None


def _blocks_from_starts(
    lines: Lines, starts: Iterable[int], last: int, heading_path: tuple[str, ...] = ()
) -> list[Block]:
    ordered = list(starts)
    ends = [start - 1 for start in ordered[1:]] + [last]
    blocks = (_trimmed(lines, s, e, heading_path) for s, e in zip(ordered, ends, strict=True))
    return [block for block in blocks if block is not None]


def paragraph_blocks(lines: Lines, block: Block | None = None) -> list[Block]:
    """Split `block` (the whole text by default) at blank lines."""
    first, last = (0, len(lines) - 1) if block is None else (block.first, block.last)
    heading_path = () if block is None else block.heading_path
    starts = [
        number
        for number in range(first, last + 1)
        if not lines.is_blank(number) and (number == first or lines.is_blank(number - 1))
    ]
    return _blocks_from_starts(lines, starts, last, heading_path)


def _code_block_starts(lines: Lines, first: int, last: int, indent: int) -> list[int]:
    """Line numbers that start a block at indentation `indent`.

    A line starts a block when it sits exactly at `indent`, is not a closing line (`}`,
    `end`) and follows a blank line, a closing line or a line indented more or less. Runs
    of lines at `indent` stay together, so decorators, comments and imports join what
    follows them.
    """
    texts, indents = lines.lines, lines.indents
    starts = [first]
    in_run = False
    for number in range(first, last + 1):
        opens = indents[number] == indent and _CLOSING_LINE.match(texts[number], indent) is None
        if opens and not in_run and number > first:
            starts.append(number)
        in_run = opens
    return starts


def code_blocks(lines: Lines) -> list[Block]:
    """Split source code into top-level blocks (functions, classes, statement groups).

    Language-agnostic: a block starts at a non-blank line with no indentation that does
    not close a construct, after a blank, indented or closing line.
    """
    if not lines.text.strip():
        return []
    last = len(lines) - 1
    return _blocks_from_starts(lines, _code_block_starts(lines, 0, last, 0), last)


def inner_code_blocks(lines: Lines, block: Block) -> list[Block]:
    """Split a code block at its next indentation level (the methods of a class).

    The block's header (`class A {`) becomes a block of its own, which chunking merges
    back into the first inner block when both fit; a closing line stays with the last
    inner block. Returns `[]` when the block has no deeper lines.
    """
    own = lines.indents[block.first]
    deeper = [width for width in lines.indents[block.first + 1 : block.last + 1] if width > own]
    if not deeper:
        return []
    starts = _code_block_starts(lines, block.first, block.last, min(deeper))
    return _blocks_from_starts(lines, starts, block.last, block.heading_path)


@dataclass(frozen=True, slots=True)
class _Heading:
    line: int
    level: int
    title: str


def _sections(lines: Lines, headings: list[_Heading]) -> list[Block]:
    """Cut the text at each heading, giving each section the path of headings above it."""
    blocks: list[Block] = []
    preamble = _trimmed(lines, 0, (headings[0].line if headings else len(lines)) - 1, ())
    if preamble is not None:
        blocks.append(preamble)
    if not headings:
        return blocks
    stack: list[_Heading] = []
    ends = [heading.line - 1 for heading in headings[1:]] + [len(lines) - 1]
    for heading, end in zip(headings, ends, strict=True):
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
        section = _trimmed(lines, heading.line, end, tuple(h.title for h in stack))
        if section is not None:
            blocks.append(section)
    return blocks


def _closes_fence(fence: str, line: str) -> bool:
    """Whether `line` closes a fence opened with `fence`: the same character, as many or more."""
    match = _FENCE.match(line)
    return (
        match is not None
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not line[match.end() :].strip()
    )


def _markdown_headings(lines: Lines) -> list[_Heading]:
    headings: list[_Heading] = []
    fence: str | None = None
    number = 0
    while number < len(lines):
        line = lines.lines[number]
        if fence is not None:
            if _closes_fence(fence, line):
                fence = None
        elif fence_match := _FENCE.match(line):
            fence = fence_match.group(1)
        elif atx := _ATX_HEADING.match(line):
            headings.append(_Heading(number, len(atx.group(1)), (atx.group(2) or "").strip()))
        elif (
            line.strip()
            and lines.indents[number] < 4
            and (number == 0 or lines.is_blank(number - 1))
            and number + 1 < len(lines)
            and (underline := _SETEXT_UNDERLINE.match(lines.lines[number + 1]))
        ):
            level = 1 if underline.group(1)[0] == "=" else 2
            headings.append(_Heading(number, level, line.strip()))
            number += 1
        number += 1
    return headings


def markdown_blocks(lines: Lines) -> list[Block]:
    """Split Markdown into sections at ATX (`## Title`) and setext headings.

    Headings inside fenced code blocks are ignored. A setext heading is recognised only
    after a blank line, so that YAML front matter is not taken for one.
    """
    return _sections(lines, _markdown_headings(lines))


def _restructuredtext_headings(lines: Lines) -> list[_Heading]:
    headings: list[_Heading] = []
    levels: dict[tuple[str, bool], int] = {}
    number = 0
    while number + 1 < len(lines):
        title = lines.lines[number].strip()
        underline = _RST_ADORNMENT.match(lines.lines[number + 1])
        if not title or _RST_ADORNMENT.match(title) or underline is None:
            number += 1
            continue
        if len(underline.group(0).rstrip()) < len(title):
            number += 1
            continue
        overline = number > 0 and lines.lines[number - 1].strip() == underline.group(0).strip()
        if not overline and number > 0 and not lines.is_blank(number - 1):
            number += 1
            continue
        style = (underline.group(1), overline)
        level = levels.setdefault(style, len(levels) + 1)
        headings.append(_Heading(number - 1 if overline else number, level, title))
        number += 2
    return headings


def restructuredtext_blocks(lines: Lines) -> list[Block]:
    """Split reStructuredText into sections at underlined (or over- and underlined) titles.

    As in reST itself, a title's level is the order in which its adornment style first
    appears in the document.
    """
    return _sections(lines, _restructuredtext_headings(lines))
