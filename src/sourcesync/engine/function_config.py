"""The function configuration an inngest-py app posts when it syncs, validated strictly.

Every model forbids unknown fields: an option this engine does not implement is refused
at registration with the function and the option named, never silently ignored.
"""

from __future__ import annotations

from typing import Literal

import pydantic
from croniter import croniter

from . import expressions
from .durations import parse_duration_ms
from .errors import RegistrationError

DEFAULT_RETRIES = 4
MAX_RATE_LIMIT_MS = 24 * 3_600_000


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class EventTrigger(_Strict):
    event: str
    expression: str | None = None

    def matches_name(self, name: str) -> bool:
        """Exact names match; ``prefix/*`` matches every event under the prefix."""
        if self.event.endswith("*"):
            return name.startswith(self.event[:-1])
        return name == self.event


class CronTrigger(_Strict):
    cron: str
    jitter: str | None = None


class Retries(_Strict):
    attempts: int = pydantic.Field(ge=0, le=20)


class Runtime(_Strict):
    type: Literal["http"]
    url: str


class StepConfig(_Strict):
    id: str
    name: str
    retries: Retries | None = None
    runtime: Runtime


class Concurrency(_Strict):
    limit: int = pydantic.Field(ge=1)
    key: str | None = None
    scope: Literal["fn", "env", "account"] | None = None


class Cancel(_Strict):
    event: str
    if_exp: str | None = pydantic.Field(default=None, alias="if")
    timeout: str | None = None


class Timeouts(_Strict):
    start: str | None = None
    finish: str | None = None


class Debounce(_Strict):
    period: str
    key: str | None = None
    timeout: str | None = None


class Throttle(_Strict):
    limit: int = pydantic.Field(ge=1)
    period: str
    key: str | None = None
    burst: int | None = pydantic.Field(default=None, ge=1)


class RateLimit(_Strict):
    limit: int = pydantic.Field(ge=1)
    period: str
    key: str | None = None


class BatchEvents(_Strict):
    max_size: int = pydantic.Field(alias="maxSize", ge=1)
    timeout: str
    key: str | None = None


class Singleton(_Strict):
    mode: Literal["skip", "cancel"]
    key: str | None = None


class Priority(_Strict):
    run: str | None = None


class FunctionConfig(_Strict):
    """One function as registered by the SDK's sync request."""

    id: str
    name: str | None = None
    triggers: list[EventTrigger | CronTrigger] = pydantic.Field(min_length=1)
    steps: dict[str, StepConfig]
    concurrency: list[Concurrency] | None = None
    cancel: list[Cancel] | None = None
    timeouts: Timeouts | None = None
    debounce: Debounce | None = None
    throttle: Throttle | None = None
    rate_limit: RateLimit | None = pydantic.Field(default=None, alias="rateLimit")
    batch_events: BatchEvents | None = pydantic.Field(default=None, alias="batchEvents")
    singleton: Singleton | None = None
    idempotency: str | None = None
    priority: Priority | None = None

    @property
    def url(self) -> str:
        return next(iter(self.steps.values())).runtime.url

    @property
    def retries(self) -> int:
        step = next(iter(self.steps.values()))
        return DEFAULT_RETRIES if step.retries is None else step.retries.attempts

    @property
    def event_triggers(self) -> list[EventTrigger]:
        return [t for t in self.triggers if isinstance(t, EventTrigger)]

    @property
    def cron_triggers(self) -> list[CronTrigger]:
        return [t for t in self.triggers if isinstance(t, CronTrigger)]


def parse_function_config(raw: object) -> FunctionConfig:
    """Validate one function's configuration; errors name the function and the option."""
    fn_id = raw.get("id", "?") if isinstance(raw, dict) else "?"
    try:
        config = FunctionConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            option = ".".join(str(part) for part in error["loc"])
            if error["type"] == "extra_forbidden":
                problems.append(f"option {option!r} is not supported by the embedded engine")
            elif error["type"] == "literal_error" and option.endswith("runtime.type"):
                problems.append("only the http runtime is supported (not connect/websocket)")
            else:
                problems.append(f"option {option!r}: {error['msg']}")
        raise RegistrationError(f"function {fn_id!r}: " + "; ".join(problems)) from exc
    _check_values(config)
    return config


def _check_values(config: FunctionConfig) -> None:
    def fail(option: str, problem: str) -> RegistrationError:
        return RegistrationError(f"function {config.id!r}: option {option!r}: {problem}")

    if len(config.steps) != 1:
        raise fail("steps", "exactly one entry point is expected")
    durations = {
        "debounce.period": config.debounce and config.debounce.period,
        "debounce.timeout": config.debounce and config.debounce.timeout,
        "throttle.period": config.throttle and config.throttle.period,
        "rateLimit.period": config.rate_limit and config.rate_limit.period,
        "batchEvents.timeout": config.batch_events and config.batch_events.timeout,
        "timeouts.start": config.timeouts and config.timeouts.start,
        "timeouts.finish": config.timeouts and config.timeouts.finish,
    }
    for index, cancel in enumerate(config.cancel or []):
        durations[f"cancel[{index}].timeout"] = cancel.timeout
    for trigger in config.cron_triggers:
        durations["triggers.jitter"] = trigger.jitter
        if not croniter.is_valid(trigger.cron):
            raise fail("triggers.cron", f"invalid cron expression {trigger.cron!r}")
    for option, value in durations.items():
        if value:
            try:
                parse_duration_ms(value)
            except ValueError as exc:
                raise fail(option, str(exc)) from exc
    if config.rate_limit and parse_duration_ms(config.rate_limit.period) > MAX_RATE_LIMIT_MS:
        raise fail("rateLimit.period", "at most 24h, as on Inngest")
    expressions_by_option: dict[str, str | None] = {
        "idempotency": config.idempotency,
        "debounce.key": config.debounce.key if config.debounce else None,
        "throttle.key": config.throttle.key if config.throttle else None,
        "rateLimit.key": config.rate_limit.key if config.rate_limit else None,
        "batchEvents.key": config.batch_events.key if config.batch_events else None,
        "singleton.key": config.singleton.key if config.singleton else None,
        "priority.run": config.priority.run if config.priority else None,
    }
    for index, event_trigger in enumerate(config.event_triggers):
        expressions_by_option[f"triggers[{index}].expression"] = event_trigger.expression
    for index, limit in enumerate(config.concurrency or []):
        expressions_by_option[f"concurrency[{index}].key"] = limit.key
        if limit.scope in ("env", "account") and not limit.key:
            raise fail(f"concurrency[{index}].key", f"a key is required with scope {limit.scope}")
    for index, cancel in enumerate(config.cancel or []):
        expressions_by_option[f"cancel[{index}].if"] = cancel.if_exp
    for option, source in expressions_by_option.items():
        if source:
            try:
                expressions.validate(source)
            except Exception as exc:
                raise fail(option, str(exc)) from exc
