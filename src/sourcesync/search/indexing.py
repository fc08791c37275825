"""What is indexed for each chunk: its text under a contextual header, and its keywords.

A chunk alone often does not say where it is: a function body never names its file, a
paragraph rarely its page. So the text that is embedded starts with a header naming the
document (its title and path), and the keywords add the section headings. The stored text
stays the chunk's own, for snippets.

A vector is reused wherever the same chunk text appears again in the namespace (the file
moved, another source or branch holds it): `text_hash` keys it by the chunk's own text,
header aside. A moved file thus keeps vectors made under its old path, while its keywords,
which are cheap, are always indexed under the new one.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sourcesync.embeddings import Tokenizer
from sourcesync.search.keywords import keyword_terms

__all__ = ["HEADER_TOKENS", "IndexedText", "contextual_header", "indexed_text", "text_hash"]

HEADER_TOKENS = 32
"""The room a header takes in the model's window, whatever its length, so that a document
is cut into the same chunks under any path (and a moved file's vectors are reused)."""


def contextual_header(*, title: str | None, path: str | None, tokenizer: Tokenizer) -> str:
    """The line put before every chunk of a document: its path, and its title if another.

    A header longer than `HEADER_TOKENS` (with the blank line after it) loses its start:
    the end of a path names the file.
    """
    header = " · ".join(name for name in dict.fromkeys((path, title)) if name)
    while header and tokenizer.count_tokens(f"{header}\n\n") > HEADER_TOKENS:
        header = header[max(1, len(header) // 8) :]
    return header


def text_hash(text: str) -> str:
    """The key under which the vector of a chunk with this text is reused."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IndexedText:
    embedded: str
    """What the embedder reads: header, blank line, chunk text."""
    keywords: str
    """What the keyword index reads: terms of the header, headings and chunk text."""
    hash: str
    """`text_hash` of the chunk's own text: the key its vector is reused by."""


def indexed_text(header: str, heading_path: Sequence[str], text: str) -> IndexedText:
    """The embedded text and keywords of one chunk under `header` (`contextual_header`)."""
    embedded = f"{header}\n\n{text}" if header else text
    keywords = keyword_terms(" ".join([header, *heading_path, text]))
    return IndexedText(embedded=embedded, keywords=keywords, hash=text_hash(text))
