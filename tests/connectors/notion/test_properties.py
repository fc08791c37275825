"""Page properties as ``name: value`` lines, over recorded data-source rows."""

from __future__ import annotations

import json
from pathlib import Path

from sourcesync.connectors.notion.properties import page_title, property_lines, schema_lines

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "notion"


def test_every_property_type_of_a_recorded_row_reads_as_a_line() -> None:
    page = json.loads((FIXTURES / "query-data-source-last-page-v2025-09-03.json").read_text())[
        "results"
    ][0]
    related = page["properties"]["RelationTitle"]["relation"][0]["id"]
    lines = property_lines(page, {related: "Second row"})
    assert page_title(page) == "ABC"
    for expected in (
        "RelationTitle: Second row",
        "MultiSelectTitle: Multi Select 2, Multi Select 1",
        "CheckboxTitle: yes",
        "StatusTitle: In progress",
        "DateTitle: 2022-02-25T01:23:00.000+09:00",
        "RollupTitle: Tag 1",
        "FormulaTitle: 2022-09-02T00:16:00.000+00:00",
        "UserTitle: Hiroyuki KOBAYASHI",
        "CreatedByTitle: Hiroyuki KOBAYASHI",
        "TextTitle: def",
        "MailTitle: hkobhkob@gmail.com",
        "NumberTitle: 1.41421356",
        "UrlTitle: https://hkob.hatenablog.com/",
        "SelectTitle: Select 3",
        "TelTitle: xx-xxxx-xxxx",
    ):
        assert expected in lines, (expected, lines)
    assert not any(line.startswith("Title:") for line in lines)


def test_a_schema_lists_names_types_options_and_relation_targets() -> None:
    lines = schema_lines(
        {
            "Name": {"type": "title", "title": {}},
            "Status": {"type": "select", "select": {"options": [{"name": "Open"}]}},
            "Port": {"type": "relation", "relation": {"data_source_id": "ds1"}},
        },
        {"ds1": "Ports"},
    )
    assert lines == ["- Name (title)", "- Port (relation to Ports)", "- Status (select: Open)"]
