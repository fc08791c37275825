from sourcesync.documents import content_hash, normalize_line_endings


def test_hash_is_sha256_hex_of_utf8_content() -> None:
    assert content_hash("hello\n") == (
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    )


def test_line_endings_do_not_change_the_hash() -> None:
    assert content_hash("a\r\nb\r\n") == content_hash("a\nb\n") == content_hash("a\rb\r")


def test_any_content_change_changes_the_hash() -> None:
    assert content_hash("a\nb\n") != content_hash("a\nb")
    assert content_hash("héllo") != content_hash("hello")


def test_normalize_line_endings() -> None:
    assert normalize_line_endings("a\r\nb\rc\n") == "a\nb\nc\n"
