"""The registered functions, by id, with the app URL that serves each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import croniter

from .function_config import FunctionConfig


@dataclass(frozen=True, slots=True)
class RegisteredFunction:
    config: FunctionConfig
    app_url: str

    @property
    def id(self) -> str:
        return self.config.id


class Registry:
    """Function configurations in memory; the state store keeps them across restarts."""

    def __init__(self) -> None:
        self._functions: dict[str, RegisteredFunction] = {}

    def get(self, fn_id: str) -> RegisteredFunction | None:
        return self._functions.get(fn_id)

    def all(self) -> list[RegisteredFunction]:
        return list(self._functions.values())

    def replace_app(self, app_url: str, configs: list[FunctionConfig]) -> None:
        """Make ``configs`` the functions of ``app_url``, dropping the ones it no longer has."""
        for fn_id in [k for k, v in self._functions.items() if v.app_url == app_url]:
            del self._functions[fn_id]
        for config in configs:
            self._functions[config.id] = RegisteredFunction(config, app_url)

    def add(self, config: FunctionConfig, app_url: str) -> None:
        self._functions[config.id] = RegisteredFunction(config, app_url)


def next_cron_ms(config: FunctionConfig, after_ms: int) -> int | None:
    """When the function's earliest cron trigger next fires after ``after_ms``."""
    times = [
        int(croniter(t.cron, datetime.fromtimestamp(after_ms / 1000, UTC)).get_next(float)) * 1000
        for t in config.cron_triggers
    ]
    return min(times) if times else None
