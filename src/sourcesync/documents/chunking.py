"""Token-bounded chunking that follows a document's structure.

A document is tokenized once. Its structural blocks (sections, top-level code blocks,
paragraphs) are measured by counting the tokens that start inside them; a block over the
limit is subdivided (inner code blocks, then paragraphs) and, when nothing smaller is left,
cut into windows of tokens that overlap a little. Adjacent small pieces are then merged up
to the limit, so chunks are neither too large to embed nor uselessly tiny.

Counts add up exactly for tokenizers that never put whitespace inside a token (WordPiece,
as in all-MiniLM-L6-v2): re-tokenizing a chunk gives its `token_count`. A window cut inside
a word (only when a run of text has no whitespace) may re-tokenize a token or two longer.
"""

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Protocol

from sourcesync.documents.blocks import (
    Block,
    Lines,
    code_blocks,
    inner_code_blocks,
    markdown_blocks,
    paragraph_blocks,
    restructuredtext_blocks,
)
from sourcesync.documents.detection import language_for_path
from sourcesync.documents.hashing import normalize_line_endings
from sourcesync.documents.model import Chunk, Document

__all__ = [
    "DEFAULT_OVERLAP_TOKENS",
    "ChunkStrategy",
    "TokenCounter",
    "chunk_document",
    "chunk_text",
    "strategy_for_path",
]

DEFAULT_OVERLAP_TOKENS = 32
_MIN_MAX_TOKENS = 8


class TokenCounter(Protocol):
    """The part of an embedding model's tokenizer that chunking needs.

    `token_spans` returns the `(start, end)` character offsets of each token of `text`,
    without special tokens: their number is the token count, and their offsets let chunking
    cut a text at token boundaries without tokenizing it again.
    """

    def token_spans(self, text: str) -> Sequence[tuple[int, int]]: ...


class ChunkStrategy(StrEnum):
    """How a text's structure is recognised."""

    MARKDOWN = "markdown"
    RESTRUCTUREDTEXT = "restructuredtext"
    CODE = "code"
    TEXT = "text"


_MARKUP_STRATEGIES = {
    "markdown": ChunkStrategy.MARKDOWN,
    "mdx": ChunkStrategy.MARKDOWN,
    "restructuredtext": ChunkStrategy.RESTRUCTUREDTEXT,
    "text": ChunkStrategy.TEXT,
}


def strategy_for_path(path: str | None) -> ChunkStrategy:
    """Choose a strategy from a path's extension.

    Markdown and reST files by headings, files in a known language as code, anything else
    as plain text. A document without a path (an issue, a page, a thread) is Markdown:
    connectors of those sources write Markdown, and Markdown without headings chunks as
    plain text does.
    """
    if path is None:
        return ChunkStrategy.MARKDOWN
    language = language_for_path(path)
    if language is None:
        return ChunkStrategy.TEXT
    return _MARKUP_STRATEGIES.get(language, ChunkStrategy.CODE)


_BLOCK_SPLITTERS: dict[ChunkStrategy, Callable[[Lines], list[Block]]] = {
    ChunkStrategy.MARKDOWN: markdown_blocks,
    ChunkStrategy.RESTRUCTUREDTEXT: restructuredtext_blocks,
    ChunkStrategy.CODE: code_blocks,
    ChunkStrategy.TEXT: paragraph_blocks,
}


@dataclass(frozen=True, slots=True)
class _Piece:
    """Characters `start:end` of the text, holding tokens `first_token:end_token`."""

    start: int
    end: int
    first_token: int
    end_token: int
    heading_path: tuple[str, ...]
    mergeable: bool

    @property
    def token_count(self) -> int:
        return self.end_token - self.first_token


_token_start = itemgetter(0)


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


class _Chunker:
    """One text's chunking: its lines, its tokens and the limits."""

    def __init__(
        self,
        text: str,
        spans: Sequence[tuple[int, int]],
        strategy: ChunkStrategy,
        max_tokens: int,
        overlap_tokens: int,
    ) -> None:
        self.lines = Lines(text)
        self.spans = spans
        self.strategy = strategy
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def pieces(self) -> Iterator[_Piece]:
        for block in _BLOCK_SPLITTERS[self.strategy](self.lines):
            yield from self._bounded(block)

    def _piece(self, block: Block) -> _Piece:
        start, end = self.lines.start_of(block.first), self.lines.end_of(block.last)
        return _Piece(
            start,
            end,
            bisect_left(self.spans, start, key=_token_start),
            bisect_left(self.spans, end, key=_token_start),
            block.heading_path,
            mergeable=True,
        )

    def _bounded(self, block: Block) -> Iterator[_Piece]:
        piece = self._piece(block)
        if piece.token_count <= self.max_tokens:
            yield piece
            return
        for subdivide in self._subdividers():
            parts = subdivide(self.lines, block)
            if len(parts) > 1:
                for part in parts:
                    yield from self._bounded(part)
                return
        yield from self._windows(piece)

    def _subdividers(self) -> list[Callable[[Lines, Block], list[Block]]]:
        if self.strategy is ChunkStrategy.CODE:
            return [inner_code_blocks, paragraph_blocks]
        if self.strategy is ChunkStrategy.TEXT:
            return []
        return [paragraph_blocks]

    def _gap_before(self, token: int) -> str:
        return self.lines.text[self.spans[token - 1][1] : self.spans[token][0]]

    def _cut(self, first: int, hard_end: int) -> int:
        """Pick where a window starting at token `first` ends, at most at `hard_end`.

        Prefer the last line break in the window's second half, then the last whitespace,
        so windows end on whole lines or words.
        """
        candidates = range(hard_end, first + (hard_end - first) // 2, -1)
        for end in candidates:
            if "\n" in self._gap_before(end):
                return end
        for end in candidates:
            if self._gap_before(end):
                return end
        return hard_end

    def _window_start(self, piece: _Piece, token: int) -> int:
        """The character where a window starting at `token` begins: its line's start when
        the token is the first on its line, so indentation is kept."""
        if token == piece.first_token:
            return piece.start
        gap_start = self.spans[token - 1][1]
        gap = self._gap_before(token)
        newline = gap.rfind("\n")
        return gap_start + newline + 1 if newline >= 0 else self.spans[token][0]

    def _windows(self, piece: _Piece) -> Iterator[_Piece]:
        first = piece.first_token
        while True:
            hard_end = first + self.max_tokens
            end = piece.end_token if hard_end >= piece.end_token else self._cut(first, hard_end)
            yield _Piece(
                self._window_start(piece, first),
                self.spans[end - 1][1],
                first,
                end,
                piece.heading_path,
                mergeable=False,
            )
            if end >= piece.end_token:
                return
            first = self._next_start(end)

    def _next_start(self, end: int) -> int:
        """Start the next window `overlap_tokens` back, moved forward to a word's start."""
        start = end - self.overlap_tokens
        for token in range(start, end):
            if self._gap_before(token):
                return token
        return start

    def merged(self) -> Iterator[_Piece]:
        current: _Piece | None = None
        for piece in self.pieces():
            if (
                current is not None
                and current.mergeable
                and piece.mergeable
                and piece.end_token - current.first_token <= self.max_tokens
            ):
                current = _Piece(
                    current.start,
                    piece.end,
                    current.first_token,
                    piece.end_token,
                    _common_prefix(current.heading_path, piece.heading_path),
                    mergeable=True,
                )
                continue
            if current is not None:
                yield current
            current = piece
        if current is not None:
            yield current


def chunk_text(
    text: str,
    *,
    document_id: str,
    counter: TokenCounter,
    max_tokens: int,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    strategy: ChunkStrategy = ChunkStrategy.TEXT,
) -> list[Chunk]:
    """Cut `text` into chunks of at most `max_tokens` tokens as measured by `counter`.

    Line endings are normalized first, so chunk texts and line numbers match the hashed
    content. Blank text gives no chunks. The result depends only on the arguments.
    """
    if max_tokens < _MIN_MAX_TOKENS:
        raise ValueError(f"max_tokens must be at least {_MIN_MAX_TOKENS}, got {max_tokens}")
    if not 0 <= overlap_tokens <= max_tokens // 4:
        raise ValueError(
            f"overlap_tokens must be between 0 and max_tokens // 4 ({max_tokens // 4}), "
            f"got {overlap_tokens}"
        )
    normalized = normalize_line_endings(text)
    chunker = _Chunker(
        normalized, counter.token_spans(normalized), strategy, max_tokens, overlap_tokens
    )
    lines = chunker.lines
    return [
        Chunk(
            document_id=document_id,
            index=index,
            text=normalized[piece.start : piece.end],
            token_count=piece.token_count,
            heading_path=piece.heading_path,
            start_line=lines.line_at(piece.start) + 1,
            end_line=lines.line_at(piece.end - 1) + 1,
        )
        for index, piece in enumerate(chunker.merged())
    ]


def chunk_document(
    document: Document,
    counter: TokenCounter,
    *,
    max_tokens: int,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    strategy: ChunkStrategy | None = None,
) -> list[Chunk]:
    """Chunk a document's content, choosing the strategy from its path unless given."""
    return chunk_text(
        document.content,
        document_id=document.id,
        counter=counter,
        max_tokens=max_tokens,
        overlap_tokens=overlap_tokens,
        strategy=strategy_for_path(document.path) if strategy is None else strategy,
    )
