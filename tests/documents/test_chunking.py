import itertools
import re
import textwrap
from collections.abc import Sequence

import pytest

from sourcesync.documents import (
    Chunk,
    ChunkStrategy,
    Document,
    chunk_document,
    chunk_text,
    strategy_for_path,
)


class WordCounter:
    """One token per run of non-space characters; counts how often it tokenizes."""

    def __init__(self) -> None:
        self.calls = 0

    def token_spans(self, text: str) -> Sequence[tuple[int, int]]:
        self.calls += 1
        return [match.span() for match in re.finditer(r"\S+", text)]

    def count(self, text: str) -> int:
        return len(re.findall(r"\S+", text))


def chunks_of(
    text: str,
    strategy: ChunkStrategy,
    max_tokens: int = 50,
    overlap_tokens: int = 2,
    counter: WordCounter | None = None,
) -> list[Chunk]:
    return chunk_text(
        text,
        document_id="doc",
        counter=counter or WordCounter(),
        max_tokens=max_tokens,
        overlap_tokens=overlap_tokens,
        strategy=strategy,
    )


def assert_well_formed(text: str, chunks: list[Chunk], max_tokens: int) -> None:
    """Bounded, counted right, numbered, located, and covering every line."""
    lines = text.split("\n")
    covered: set[int] = set()
    for index, chunk in enumerate(chunks):
        assert chunk.id == f"doc#{index}"
        assert chunk.token_count == WordCounter().count(chunk.text)
        assert 0 < chunk.token_count <= max_tokens
        assert chunk.start_line is not None and chunk.end_line is not None
        assert chunk.text in "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        covered.update(range(chunk.start_line, chunk.end_line + 1))
    assert {n for n, line in enumerate(lines, 1) if line.strip()} <= covered


def words(count: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{n}" for n in range(count))


@pytest.mark.parametrize(
    ("path", "strategy"),
    [
        ("README.md", ChunkStrategy.MARKDOWN),
        ("docs/page.mdx", ChunkStrategy.MARKDOWN),
        ("docs/index.rst", ChunkStrategy.RESTRUCTUREDTEXT),
        ("src/main.py", ChunkStrategy.CODE),
        ("cmd/main.go", ChunkStrategy.CODE),
        ("Dockerfile", ChunkStrategy.CODE),
        ("notes.txt", ChunkStrategy.TEXT),
        ("LICENSE", ChunkStrategy.TEXT),
        (None, ChunkStrategy.MARKDOWN),
    ],
)
def test_strategy_follows_the_extension(path: str | None, strategy: ChunkStrategy) -> None:
    assert strategy_for_path(path) is strategy


MARKDOWN = textwrap.dedent(
    """\
    Intro before any heading has eight words.

    # Guide

    ```bash
    # not a heading, a comment
    ```

    ## Install

    Run the installer with these few words.

    ### On Linux

    Use apt to install the package now.

    ## Usage

    Call it with the arguments you need.
    """
)


def test_markdown_splits_at_headings_and_keeps_the_heading_path() -> None:
    chunks = chunks_of(MARKDOWN, ChunkStrategy.MARKDOWN, max_tokens=12)
    assert [(c.heading_path, c.text.split("\n")[0]) for c in chunks] == [
        ((), "Intro before any heading has eight words."),
        (("Guide",), "# Guide"),
        (("Guide", "Install"), "## Install"),
        (("Guide", "Install", "On Linux"), "### On Linux"),
        (("Guide", "Usage"), "## Usage"),
    ]
    assert "# not a heading" in chunks[1].text
    assert (chunks[2].start_line, chunks[2].end_line) == (9, 11)
    assert_well_formed(MARKDOWN, chunks, 12)


def test_small_sections_merge_under_their_common_headings() -> None:
    chunks = chunks_of(MARKDOWN, ChunkStrategy.MARKDOWN, max_tokens=30)
    assert [c.heading_path for c in chunks] == [(), ("Guide",)]
    assert [c.token_count for c in chunks] == [26, 19]
    assert chunks[0].text.endswith("## Install\n\nRun the installer with these few words.")
    assert chunks[1].text.startswith("### On Linux") and chunks[1].text.endswith("you need.")
    assert_well_formed(MARKDOWN, chunks, 30)


def test_an_oversized_section_splits_into_paragraphs_under_its_heading() -> None:
    text = f"# Big\n\n{words(6, 'a')}\n\n{words(6, 'b')}\n\n{words(6, 'c')}\n"
    chunks = chunks_of(text, ChunkStrategy.MARKDOWN, max_tokens=14)
    assert [c.text for c in chunks] == [
        f"# Big\n\n{words(6, 'a')}\n\n{words(6, 'b')}",
        words(6, "c"),
    ]
    assert all(c.heading_path == ("Big",) for c in chunks)


def test_setext_and_restructuredtext_headings() -> None:
    body = words(6)
    markdown = f"Title\n=====\n\n{body}\n\nPart\n----\n\n{body}\n"
    assert [c.heading_path for c in chunks_of(markdown, ChunkStrategy.MARKDOWN, 10)] == [
        ("Title",),
        ("Title", "Part"),
    ]
    rst = f"=====\nTitle\n=====\n\n{body}\n\nPart\n----\n\n{body}\n\nOther\n-----\n\n{body}\n"
    assert [c.heading_path for c in chunks_of(rst, ChunkStrategy.RESTRUCTUREDTEXT, 10)] == [
        ("Title",),
        ("Title", "Part"),
        ("Title", "Other"),
    ]


def test_front_matter_is_not_a_heading() -> None:
    markdown = "---\ntitle: Notes\n---\n\nBody text.\n"
    chunks = chunks_of(markdown, ChunkStrategy.MARKDOWN)
    assert [(c.heading_path, c.text) for c in chunks] == [((), markdown.strip())]


PYTHON = textwrap.dedent(
    """\
    import os
    import sys


    @cache
    def first(a, b):
        total = a + b
        return total


    def second():
        return 2


    class Third:
        \"\"\"Docs.\"\"\"

        def method_one(self):
            return 1

        def method_two(self):
            return 2
    """
)


def test_code_splits_at_top_level_blocks_with_their_decorators() -> None:
    chunks = chunks_of(PYTHON, ChunkStrategy.CODE, max_tokens=12, overlap_tokens=2)
    assert [c.text.split("\n")[0] for c in chunks] == [
        "import os",
        "@cache",
        "def second():",
        "class Third:",
    ]
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 2), (5, 8), (11, 12), (15, 22)]
    assert_well_formed(PYTHON, chunks, 12)


CLASS = textwrap.dedent(
    """\
    class Big:
        def one(self):
            a = 1
            return a

        def two(self):
            b = 2
            return b
    """
)


def test_an_oversized_class_splits_at_its_methods() -> None:
    chunks = chunks_of(CLASS, ChunkStrategy.CODE, max_tokens=8)
    assert [c.text for c in chunks] == [
        "class Big:",
        "    def one(self):\n        a = 1\n        return a",
        "    def two(self):\n        b = 2\n        return b",
    ]
    assert_well_formed(CLASS, chunks, 8)


def test_a_class_header_rejoins_its_first_method_when_both_fit() -> None:
    chunks = chunks_of(CLASS, ChunkStrategy.CODE, max_tokens=9)
    assert [c.text.split("\n")[0] for c in chunks] == ["class Big:", "    def two(self):"]
    assert chunks[0].text.endswith("return a")


def test_braced_code_splits_after_closing_braces() -> None:
    body = "\treturn first + second + third"
    go = f"package main // the entry point\n\nfunc a() {{\n{body}\n}}\nfunc b() {{\n{body}\n}}\n"
    chunks = chunks_of(go, ChunkStrategy.CODE, max_tokens=12)
    assert [c.text for c in chunks] == [
        "package main // the entry point",
        f"func a() {{\n{body}\n}}",
        f"func b() {{\n{body}\n}}",
    ]


def test_plain_text_paragraphs_merge_up_to_the_limit() -> None:
    text = "\n\n".join(words(10, f"p{n}-") for n in range(5))
    chunks = chunks_of(text, ChunkStrategy.TEXT, max_tokens=25)
    assert [c.token_count for c in chunks] == [20, 20, 10]
    assert chunks[0].text == "\n\n".join(words(10, f"p{n}-") for n in range(2))
    assert_well_formed(text, chunks, 25)


def test_an_oversized_block_is_cut_into_overlapping_windows() -> None:
    text = words(100)
    chunks = chunks_of(text, ChunkStrategy.TEXT, max_tokens=30, overlap_tokens=5)
    tokens = [chunk.text.split() for chunk in chunks]
    assert all(len(window) <= 30 for window in tokens)
    for previous, current in itertools.pairwise(tokens):
        assert previous[-5:] == current[:5]
    rebuilt = tokens[0] + [token for window in tokens[1:] for token in window[5:]]
    assert rebuilt == text.split()
    assert_well_formed(text, chunks, 30)


def test_windows_prefer_to_end_at_line_breaks() -> None:
    body = "\n".join(f"    line{n} a b c d e f g" for n in range(12))
    text = f"def big():\n{body}\n"
    chunks = chunks_of(text, ChunkStrategy.CODE, max_tokens=30, overlap_tokens=3)
    assert chunks[0].text == "def big():"
    assert len(chunks) == 5
    assert all(chunk.text.endswith(" g") for chunk in chunks[1:])
    assert_well_formed(text, chunks, 30)


def test_windows_starting_a_line_keep_its_indentation() -> None:
    text = "def big():\n" + "\n".join(f"    step{n} = run({n})" for n in range(8))
    chunks = chunks_of(text, ChunkStrategy.CODE, max_tokens=9, overlap_tokens=0)
    assert [c.text for c in chunks] == [
        "def big():",
        "    step0 = run(0)\n    step1 = run(1)\n    step2 = run(2)",
        "    step3 = run(3)\n    step4 = run(4)\n    step5 = run(5)",
        "    step6 = run(6)\n    step7 = run(7)",
    ]
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 1), (2, 4), (5, 7), (8, 9)]


def test_the_text_is_tokenized_once() -> None:
    counter = WordCounter()
    chunks = chunks_of(PYTHON + MARKDOWN * 20, ChunkStrategy.CODE, 10, 2, counter)
    assert len(chunks) > 20
    assert counter.calls == 1


def test_chunking_is_deterministic_and_normalizes_line_endings() -> None:
    crlf = MARKDOWN.replace("\n", "\r\n")
    first = chunks_of(crlf, ChunkStrategy.MARKDOWN, 12)
    assert first == chunks_of(crlf, ChunkStrategy.MARKDOWN, 12)
    assert first == chunks_of(MARKDOWN, ChunkStrategy.MARKDOWN, 12)
    assert all("\r" not in chunk.text for chunk in first)


def test_blank_text_gives_no_chunks() -> None:
    assert chunks_of(" \n\n\t\n", ChunkStrategy.CODE) == []


@pytest.mark.parametrize(("max_tokens", "overlap_tokens"), [(7, 0), (64, 17), (64, -1)])
def test_unusable_limits_are_rejected(max_tokens: int, overlap_tokens: int) -> None:
    with pytest.raises(ValueError):
        chunks_of("text", ChunkStrategy.TEXT, max_tokens, overlap_tokens)


def test_chunk_document_uses_the_document_path() -> None:
    document = Document(
        id="git:file:repo:app.py",
        workspace_id="ws",
        source_id="src",
        source_type="git",
        title="app.py",
        path="app.py",
        content=PYTHON,
    )
    chunks = chunk_document(document, WordCounter(), max_tokens=12, overlap_tokens=2)
    assert chunks[1].id == "git:file:repo:app.py#1"
    assert chunks[1].text.startswith("@cache")
    as_text = chunk_document(
        document, WordCounter(), max_tokens=12, overlap_tokens=2, strategy=ChunkStrategy.TEXT
    )
    assert as_text != chunks
