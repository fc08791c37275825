"""The registry of sources: entry points in ``sourcesync.sources``."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from sourcesync.connectors.registry import (
    ENTRY_POINT_GROUP,
    DuplicateSourceTypeError,
    InvalidSourceSpecError,
    UnknownSourceTypeError,
    all_specs,
    get_spec,
    load_specs,
)
from sourcesync.connectors.spec import SourceKind, SourceSpec


def point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_the_built_in_sources_are_declared_as_entry_points() -> None:
    specs = all_specs()
    assert {"git", "github", "linear", "notion"} <= set(specs)
    assert specs["git"].kind is SourceKind.FILES
    assert specs["linear"].kind is SourceKind.DOCUMENTS
    assert specs["notion"].kind is SourceKind.DOCUMENTS and specs["notion"].webhooks is not None
    assert specs["github"].webhooks is not None and specs["git"].webhooks is None


def test_two_sources_of_one_type_fail_at_start_naming_both() -> None:
    with pytest.raises(DuplicateSourceTypeError, match=r"type 'git'.*uninstall one"):
        load_specs(
            [
                point("git", "sourcesync.connectors.git.spec:spec"),
                point("git", "sourcesync.connectors.git.spec:spec"),
            ]
        )


def test_an_entry_point_that_is_not_a_spec_is_refused() -> None:
    with pytest.raises(InvalidSourceSpecError, match="not a SourceSpec"):
        load_specs([point("odd", "sourcesync.connectors.registry:ENTRY_POINT_GROUP")])


def test_an_entry_point_is_named_by_its_source_type() -> None:
    with pytest.raises(InvalidSourceSpecError, match="named by its source type, 'git'"):
        load_specs([point("git-again", "sourcesync.connectors.git.spec:spec")])


def test_one_type_s_spec_is_the_one_all_specs_holds() -> None:
    assert get_spec("github") is all_specs()["github"]


def test_an_unknown_type_says_which_are_installed() -> None:
    with pytest.raises(UnknownSourceTypeError, match=r"'svn'.*installed: .*git"):
        get_spec("svn")


def test_a_spec_needs_one_opener_and_a_plain_type_name() -> None:
    git = get_spec("git")
    with pytest.raises(ValueError, match="exactly one"):
        SourceSpec(
            type="both",
            description="",
            config=git.config,
            cursor=git.cursor,
            location=git.location,
            default_name=git.default_name,
        )
    with pytest.raises(ValueError, match="must match"):
        SourceSpec(
            type="Not A Name",
            description="",
            config=git.config,
            cursor=git.cursor,
            location=git.location,
            default_name=git.default_name,
            open_files=git.open_files,
        )
