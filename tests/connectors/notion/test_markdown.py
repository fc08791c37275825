"""Blocks to Markdown, over the recorded block payloads and hand-made trees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sourcesync.connectors.notion.markdown import render_blocks, rich_text
from tests.fakes.notion import block, columns, paragraph, rich, table, toggle

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "notion"


def _tree(spec: dict[str, Any]) -> dict[str, Any]:
    """A block to add as the API returns it, with its children fetched."""
    children = [_tree(child) for child in spec.get("children", [])]
    return {**spec, "id": "b", "has_children": bool(children), "children": children}


def test_every_recorded_block_type_is_rendered_or_kept_as_a_placeholder() -> None:
    recorded = json.loads(
        (FIXTURES / "block-children-mixed-block-types-v2025-09-03.json").read_text()
    )
    markdown = render_blocks(recorded["results"])
    for expected in (
        "# Heading 1",
        "## Heading 2",
        "### Heading 3",
        "- Bulleted list",
        "1. Numbered list",
        "- ▸ Toggle",
        "> Quote",
        "---",
        "> ✅ Callout",
        "```shell\n% ls -l\n```",
        "$$\nx = \\frac{-b\\pm\\sqrt{b^2-4ac}}{2a}\n$$",
        "![image](https://cdn.worldvectorlogo.com/logos/notion-logo-1.svg)",
        "[https://hkob.notion.site/](https://hkob.notion.site/)",
        "[video](https://youtu.be/gp2yhkVw0z4)",
        "[📄 Child page](https://www.notion.so/",
        "[🗃 Child database](https://www.notion.so/",
        "[unsupported Notion block: unsupported]",
        "[synced block whose original the integration cannot see]",
    ):
        assert expected in markdown, expected
    # Notion-hosted files are linked without their expiring signature.
    assert "X-Amz" not in markdown
    assert "sample.txt)" in markdown


def test_rich_text_keeps_bold_italic_code_and_links() -> None:
    text = rich_text(
        [
            rich("Trim "),
            rich("the wick", bold=True),
            rich(", run "),
            rich("trim()", code=True),
            rich(" and read "),
            rich("the guide", italic=True, href="https://example.com"),
        ]
    )
    assert text == "Trim **the wick**, run `trim()` and read [*the guide*](https://example.com)"


def test_lists_nest_and_number_and_toggles_keep_their_children() -> None:
    tree = [
        _tree(block("numbered_list_item", "First", [block("bulleted_list_item", "inner")])),
        _tree(block("numbered_list_item", "Second")),
        _tree(block("to_do", "Done", checked=True)),
        _tree(
            toggle("More", [paragraph("Hidden words"), toggle("Deeper", [paragraph("Deepest")])])
        ),
    ]
    assert render_blocks(tree) == (
        "1. First\n  - inner\n2. Second\n\n- [x] Done\n\n"
        "- ▸ More\n  Hidden words\n\n  - ▸ Deeper\n    Deepest\n"
    )


def test_tables_and_columns() -> None:
    tree = [
        _tree(table([["Day", "Wind"], ["Mon", "NW | 5"]])),
        _tree(columns([paragraph("Left")], [paragraph("Right")])),
        _tree(block("code", None, rich_text=[rich("print(1)")], language="python", caption=[])),
    ]
    assert render_blocks(tree) == (
        "| Day | Wind |\n| --- | --- |\n| Mon | NW \\| 5 |\n\nLeft\n\nRight\n\n"
        "```python\nprint(1)\n```\n"
    )
