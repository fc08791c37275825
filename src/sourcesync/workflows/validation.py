"""Every function checks its input first: bad data fails the run at once, naming the fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import inngest
import pydantic

from sourcesync.events import EventData, validation_message

M = TypeVar("M", bound=EventData)


def parse_event(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate an event's data, or raise ``NonRetriableError`` listing the bad fields."""
    # Invoked runs get the runtime's own metadata beside the caller's data.
    payload = {key: value for key, value in data.items() if key != "_inngest"}
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        raise inngest.NonRetriableError(f"{model.name}: {validation_message(exc)}") from exc
