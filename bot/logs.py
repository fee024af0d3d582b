"""Structured logs: one event per line on stderr, secrets redacted.

Every value passes through the redactor, so a token that slips into an
exception message or a database URL with a password never reaches the log.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^:/@\s]+:)[^@\s]+@", re.I)
# Slack and Discord token shapes, in case one arrives from somewhere unexpected.
_TOKEN_SHAPES = re.compile(
    r"\b(xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}|[MN][A-Za-z\d]{23,}\.[\w-]{6}\.[\w-]{27,})\b"
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, "***")
        value = _URL_PASSWORD.sub(r"\1***@", value)
        return _TOKEN_SHAPES.sub("***", value)

    def __call__(
        self, logger: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for k, v in list(event.items()):
            if isinstance(v, str):
                event[k] = self.text(v)
            elif isinstance(v, BaseException):
                event[k] = self.text(f"{type(v).__name__}: {v}")
        return event


def _control_chars(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Feed text can contain ESC sequences: never let it drive the operator's terminal.
    for k, v in list(event.items()):
        if isinstance(v, str):
            event[k] = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "?", v)
    return event


def configure_logging(level: str = "INFO", fmt: str = "console", secrets: Iterable[str] = ()) -> Redactor:
    redactor = Redactor(secrets)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"])
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redactor,
            _control_chars,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Third-party libraries log through stdlib logging; keep them quiet and redacted.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "discord", "slack_bolt", "slack_sdk", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor
