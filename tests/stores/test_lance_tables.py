import re

import pytest

from sourcesync.stores import InvalidNamespaceError, chunk_id
from sourcesync.stores.lance_filters import all_of, batched, equals, is_in, sql_literal
from sourcesync.stores.lance_tables import table_name


def test_chunk_ids_are_positional() -> None:
    assert chunk_id("github:file:o/r:README.md", 2) == "github:file:o/r:README.md#2"
    with pytest.raises(ValueError, match=">= 0"):
        chunk_id("doc", -1)


@pytest.mark.parametrize("namespace", ["default", "ws_1", "store-1.v2", "A9"])
def test_valid_table_names_are_kept(namespace: str) -> None:
    assert table_name(namespace) == namespace


@pytest.mark.parametrize(
    "namespace", ["team/a", "team a", "../escape", ".hidden", "ünï", "x" * 150]
)
def test_other_namespaces_become_valid_table_names(namespace: str) -> None:
    name = table_name(namespace)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name)
    assert len(name) <= 128
    assert table_name(namespace) == name


def test_table_names_do_not_collide() -> None:
    namespaces = ["team/a", "team_a", "team a", "team\\a", "ünï", "ïnü"]
    assert len({table_name(namespace) for namespace in namespaces}) == len(namespaces)


@pytest.mark.parametrize("namespace", ["", "x" * 201])
def test_empty_or_huge_namespaces_are_refused(namespace: str) -> None:
    with pytest.raises(InvalidNamespaceError):
        table_name(namespace)


def test_sql_literals_double_single_quotes_only() -> None:
    assert sql_literal("plain") == "'plain'"
    assert sql_literal("it's") == "'it''s'"
    assert sql_literal("a\\'b") == "'a\\''b'"
    with pytest.raises(ValueError, match="NUL"):
        sql_literal("a\x00b")


def test_predicates() -> None:
    assert equals("document_id", "o'k") == "document_id = 'o''k'"
    assert is_in("document_id", ["a", "b'"]) == "document_id IN ('a', 'b''')"
    assert all_of("a = 1", None, "b = 2") == "(a = 1) AND (b = 2)"
    with pytest.raises(ValueError, match="at least one"):
        is_in("document_id", [])


def test_batched() -> None:
    assert list(batched(["a", "b", "c", "d", "e"], 2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(batched([], 2)) == []
