"""The example feed source, installed for the test as pip would: a distribution's metadata
on ``sys.path`` declaring its entry point in ``sourcesync.sources``."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sourcesync.connectors.registry import ENTRY_POINT_GROUP, all_specs, get_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "feed_source"


@pytest.fixture
def feed_source_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    points = project["entry-points"][ENTRY_POINT_GROUP]
    dist_info = tmp_path / "site" / f"sourcesync_feeds-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    all_specs.cache_clear()
    get_spec.cache_clear()
    yield
    all_specs.cache_clear()
    get_spec.cache_clear()
    for name in [m for m in sys.modules if m.startswith("sourcesync_feeds")]:
        del sys.modules[name]
