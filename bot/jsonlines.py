"""Reading JSON-lines input for the offline CLIs (classify, cluster)."""

from __future__ import annotations

import json
from typing import Any


class BadLine(ValueError):
    """A line that cannot become a story; the message is shown to the user."""


def load_object(line: str) -> dict[str, Any]:
    """The JSON object on ``line``; raises BadLine with a readable reason."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise BadLine("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise BadLine("expected a JSON object")
    return obj
