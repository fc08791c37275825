"""Deciding what raw file bytes are before decoding them, and what language a path holds."""

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ContentKind",
    "DetectedContent",
    "detect_content",
    "language_for_path",
]

DEFAULT_MAX_BYTES = 1_000_000
"""Files larger than this are not decoded: they are generated or data, not knowledge."""

_SNIFF_BYTES = 8192
_MAX_NON_TEXT_RATIO = 0.3
# Control bytes that legitimately appear in text files: BS, TAB, LF, VT, FF, CR, ESC.
_TEXT_CONTROL_BYTES = frozenset(b"\b\t\n\v\f\r\x1b")
_NON_TEXT_BYTES = bytes(sorted(set(range(0x20)) - _TEXT_CONTROL_BYTES | {0x7F}))


class ContentKind(StrEnum):
    """What a file's bytes turned out to be."""

    TEXT = "text"
    BINARY = "binary"
    TOO_LARGE = "too_large"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class DetectedContent:
    """The verdict on a file's bytes; `text` is the decoded content when `kind` is TEXT."""

    kind: ContentKind
    size: int
    text: str | None = None

    @property
    def is_text(self) -> bool:
        return self.kind is ContentKind.TEXT


def detect_content(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DetectedContent:
    """Classify `data` as text, binary, too large or empty, decoding it when it is text.

    Binary is decided by content, not by file name: a NUL byte or more than 30% control
    bytes in the first 8 KiB, or bytes that are not valid UTF-8. A UTF-8 byte order mark is
    dropped. Whitespace-only content counts as empty, since there is nothing to embed.
    """
    size = len(data)
    if size > max_bytes:
        return DetectedContent(ContentKind.TOO_LARGE, size)
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        return DetectedContent(ContentKind.BINARY, size)
    non_text = len(head) - len(head.translate(None, _NON_TEXT_BYTES))
    if head and non_text / len(head) > _MAX_NON_TEXT_RATIO:
        return DetectedContent(ContentKind.BINARY, size)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return DetectedContent(ContentKind.BINARY, size)
    if not text.strip():
        return DetectedContent(ContentKind.EMPTY, size)
    return DetectedContent(ContentKind.TEXT, size, text)


_EXTENSION_LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".scala": "scala",
    ".swift": "swift",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".lua": "lua",
    ".r": "r",
    ".jl": "julia",
    ".ex": "elixir",
    ".exs": "elixir",
    ".erl": "erlang",
    ".hs": "haskell",
    ".ml": "ocaml",
    ".clj": "clojure",
    ".dart": "dart",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ps1": "powershell",
    ".sql": "sql",
    ".graphql": "graphql",
    ".gql": "graphql",
    ".proto": "protobuf",
    ".tf": "terraform",
    ".vue": "vue",
    ".svelte": "svelte",
    ".html": "html",
    ".htm": "html",
    ".css": "css",
    ".scss": "scss",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".xml": "xml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "mdx",
    ".rst": "restructuredtext",
    ".txt": "text",
}

_FILENAME_LANGUAGES: dict[str, str] = {
    "dockerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "justfile": "just",
}


def language_for_path(path: str) -> str | None:
    """Return the language a file holds judged by its name (`"python"`), or None if unknown.

    The name and suffix are ``PurePosixPath``'s, read without building paths (twice per
    synced file)."""
    name = path.rpartition("/")[2]
    if name in ("", "."):
        name = PurePosixPath(path).name
    name = name.lower()
    if name in _FILENAME_LANGUAGES:
        return _FILENAME_LANGUAGES[name]
    dot = name.rfind(".")
    return _EXTENSION_LANGUAGES.get(name[dot:]) if 0 < dot < len(name) - 1 else None
