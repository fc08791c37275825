"""deploy/ is checked against the code, as nothing here runs Docker: every variable is a
real setting, every command a real command, and ports and health paths are the ones the
app serves. A renamed setting, option or route fails here."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from sourcesync.api.health import HEALTH_PATH, METRICS_PATH, READY_PATH
from sourcesync.cli import app as cli_app
from sourcesync.settings import Settings
from sourcesync.workflows.services import Services

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_PORT = 8000
SERVE_PATH = "/api/inngest"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


def app_service() -> dict[str, Any]:
    service: dict[str, Any] = compose()["services"]["app"]
    return service


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def instructions(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == name]


def exec_form(arguments: str) -> list[str]:
    parsed: list[str] = yaml.safe_load(arguments)  # a JSON array is YAML too
    return parsed


def parsed(argv: list[str]) -> dict[str, Any]:
    """Parse ``sourcesync ...`` with the CLI's own parser: an unknown command or option fails."""
    assert argv[0] == "sourcesync", argv
    command: Any = typer.main.get_command(cli_app)
    for depth, name in enumerate(argv[1:], start=1):
        sub = command.get_command(None, name) if hasattr(command, "get_command") else None
        if sub is None:
            params: dict[str, Any] = command.make_context(argv[depth - 1], argv[depth:]).params
            return params
        command = sub
    params = command.make_context(argv[-1], []).params
    return params


def served_paths(tmp_path: Path) -> set[str]:
    from sourcesync.api import create_app
    from sourcesync.runtime import create_client

    client = create_client("http://127.0.0.1:8288")  # a dev-mode client: no keys needed
    app = create_app(Services.from_settings(Settings(home=tmp_path)), client)
    return set(app.openapi()["paths"])


@pytest.mark.parametrize(
    "argv",
    [
        exec_form(instructions("CMD")[-1]),
        app_service()["command"],
        ["sourcesync", "tokens", "create", "--name", "ops"],
    ],
)
def test_the_commands_are_real_sourcesync_commands(argv: list[str]) -> None:
    params = parsed(argv)

    if argv[1] == "serve":
        assert (params["engine"], params["host"], params["port"]) == (
            "inngest",
            "0.0.0.0",
            APP_PORT,
        )
    else:
        assert params["name"] == "ops"


def test_the_image_and_the_service_run_the_same_command() -> None:
    assert exec_form(instructions("CMD")[-1]) == app_service()["command"]


def test_every_sourcesync_variable_is_a_setting_and_every_named_variable_is_set() -> None:
    environment: dict[str, str] = app_service()["environment"]
    dockerfile_env = " ".join(instructions("ENV"))
    names = set(environment) | set(re.findall(r"\b(SOURCESYNC_[A-Z_]+)=", dockerfile_env))
    settings = {Settings.env_name(field) for field in Settings.model_fields}
    assert {name for name in names if name.startswith("SOURCESYNC_")} <= settings
    for name, value in environment.items():
        if name.endswith("_ENV"):
            assert value in environment, f"{name} names {value}, which the service does not set"


def test_the_settings_the_stack_needs_are_there() -> None:
    environment: dict[str, str] = app_service()["environment"]

    assert environment["SOURCESYNC_VECTOR_STORE"] == "pinecone"
    assert environment["SOURCESYNC_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert environment["INNGEST_API_BASE_URL"] == environment["INNGEST_EVENT_API_BASE_URL"]
    inngest = compose()["services"]["inngest"]
    assert inngest["command"][:2] == ["inngest", "start"]
    for key in ("INNGEST_SIGNING_KEY", "INNGEST_EVENT_KEY"):
        # Both sides hold the same key, from the same variable.
        assert environment[key].strip("${}").split(":")[0] == key
        assert inngest["environment"][key].strip("${}").split(":")[0] == key
    assert {"INNGEST_POSTGRES_URI", "INNGEST_REDIS_URI"} <= set(inngest["environment"])
    port = re.search(r":(\d+)$", environment["INNGEST_API_BASE_URL"])
    assert port is not None and f"127.0.0.1:{port.group(1)}:{port.group(1)}" in inngest["ports"]


def test_inngest_calls_the_load_balancer_which_reaches_every_replica() -> None:
    inngest = compose()["services"]["inngest"]["command"]
    sdk_url = inngest[inngest.index("--sdk-url") + 1]
    nginx = (DEPLOY / "nginx.conf").read_text()

    assert sdk_url == f"http://lb:{APP_PORT}{SERVE_PATH}"
    assert f"listen {APP_PORT};" in nginx
    assert f"http://app:{APP_PORT}" in nginx
    assert compose()["services"]["lb"]["ports"] == [f"{APP_PORT}:{APP_PORT}"]
    assert app_service()["deploy"]["replicas"] >= 2


def test_health_checks_call_the_app_s_own_probe_on_its_port(tmp_path: Path) -> None:
    paths = served_paths(tmp_path)
    probe = f"http://127.0.0.1:{APP_PORT}{HEALTH_PATH}"

    assert {HEALTH_PATH, READY_PATH, METRICS_PATH, SERVE_PATH} <= paths
    [healthcheck] = instructions("HEALTHCHECK")
    assert probe in healthcheck
    assert probe in " ".join(app_service()["healthcheck"]["test"])
    assert instructions("EXPOSE") == [str(APP_PORT)]


def test_the_image_runs_as_a_user_with_cpu_torch_and_the_model_baked_in() -> None:
    [user] = instructions("USER")
    torch_pin = next(
        d
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        if d.startswith("torch==")
    )
    runs = instructions("RUN")
    makefile = (ROOT / "Makefile").read_text()
    export = next(line for line in makefile.splitlines() if "OnnxEmbedder" in line)

    assert user not in ("root", "0")
    assert any(
        "download.pytorch.org/whl/cpu" in run and torch_pin in shlex.split(run) for run in runs
    )
    assert any(export.split(" -c ")[1] in run for run in runs)
    assert "SOURCESYNC_MODEL_CACHE" in " ".join(instructions("ENV"))


def test_deploy_md_names_every_variable_the_stack_sets() -> None:
    guide = (ROOT / "docs" / "DEPLOY.md").read_text()
    for name in app_service()["environment"]:
        if name.startswith("SOURCESYNC_") or name.startswith("INNGEST_"):
            assert name in guide, f"docs/DEPLOY.md does not mention {name}"
