"""Search: hybrid (vector + keyword) ranking of files, and what is indexed for each chunk.

`search_files` runs one query against a store; `indexed_text` says what a chunk is
embedded and keyword-indexed as (its text under a contextual header).
"""

from sourcesync.search.hybrid import DEFAULT_FUSION, SearchMode, search_files
from sourcesync.search.indexing import IndexedText, contextual_header, indexed_text, text_hash
from sourcesync.search.keywords import keyword_terms
from sourcesync.search.ranking import FileHit, Fusion, fuse_files

__all__ = [
    "DEFAULT_FUSION",
    "FileHit",
    "Fusion",
    "IndexedText",
    "SearchMode",
    "contextual_header",
    "fuse_files",
    "indexed_text",
    "keyword_terms",
    "search_files",
    "text_hash",
]
