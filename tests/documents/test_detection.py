import pytest

from sourcesync.documents import DEFAULT_MAX_BYTES, ContentKind, detect_content, language_for_path

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def test_utf8_text_is_decoded() -> None:
    detected = detect_content("def café():\n    return '☕'\n".encode())
    assert detected.kind is ContentKind.TEXT
    assert detected.is_text
    assert detected.text == "def café():\n    return '☕'\n"


def test_utf8_byte_order_mark_is_dropped() -> None:
    assert detect_content(b"\xef\xbb\xbfhello").text == "hello"


@pytest.mark.parametrize(
    "data",
    [
        PNG_HEADER,
        b"text then a NUL\x00 byte",
        bytes(range(1, 32)) * 4 + b"some words",
        b"latin-1 caf\xe9 is not utf-8",
    ],
    ids=["png", "nul", "control-bytes", "invalid-utf8"],
)
def test_binary_is_detected_by_content(data: bytes) -> None:
    detected = detect_content(data)
    assert detected.kind is ContentKind.BINARY
    assert detected.text is None
    assert detected.size == len(data)


def test_a_few_control_bytes_do_not_make_text_binary() -> None:
    ansi = b"\x1b[31mred\x1b[0m and a form feed\x0c\n"
    assert detect_content(ansi).kind is ContentKind.TEXT


def test_size_limit_is_inclusive_and_configurable() -> None:
    assert DEFAULT_MAX_BYTES == 1_000_000
    assert detect_content(b"a" * DEFAULT_MAX_BYTES).kind is ContentKind.TEXT
    too_large = detect_content(b"a" * (DEFAULT_MAX_BYTES + 1))
    assert too_large.kind is ContentKind.TOO_LARGE
    assert too_large.size == DEFAULT_MAX_BYTES + 1
    assert detect_content(b"abcdef", max_bytes=5).kind is ContentKind.TOO_LARGE


def test_size_is_checked_before_content() -> None:
    assert detect_content(PNG_HEADER * 10, max_bytes=20).kind is ContentKind.TOO_LARGE


@pytest.mark.parametrize("data", [b"", b" \n\t\r\n"])
def test_empty_and_whitespace_only_content_is_empty(data: bytes) -> None:
    assert detect_content(data).kind is ContentKind.EMPTY


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app/main.py", "python"),
        ("web/App.TSX", "typescript"),
        ("cmd/server.go", "go"),
        ("lib.rs", "rust"),
        ("docs/guide.md", "markdown"),
        ("docs/page.mdx", "mdx"),
        ("index.rst", "restructuredtext"),
        ("deploy/Dockerfile", "dockerfile"),
        ("Makefile", "makefile"),
        ("config.yml", "yaml"),
        ("LICENSE", None),
        ("archive.tar.gz", None),
        # Named as PurePosixPath names them: trailing slashes and "." parts dropped.
        ("src/main.py/", "python"),
        ("deploy/Dockerfile/.", "dockerfile"),
        ("src/.py", None),
        ("src/main.", None),
        ("", None),
        (".", None),
    ],
)
def test_language_from_path(path: str, language: str | None) -> None:
    assert language_for_path(path) == language
