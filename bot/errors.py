"""One exception root, so callers can catch everything the bot raises on purpose.

Messages are written for people (they may reach a chat channel or a log), and
never contain a response body, a token or a password.
"""

from __future__ import annotations


class AllianceError(Exception):
    """Root of every error alliance-bot raises deliberately."""


class ConfigError(AllianceError):
    """The configuration is invalid; ``errors`` lists every problem (key, reason)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        lines = "\n".join(f"  {key}: {reason}" for key, reason in errors)
        super().__init__(f"invalid configuration ({len(errors)} error(s)):\n{lines}")


class FetchError(AllianceError):
    """A source could not be fetched. ``status`` is the HTTP status when one was received."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        permanent: bool = False,
        kind: str = "fetch",
    ):
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s
        # permanent: polling again cannot help (410 Gone, refused scheme/address).
        self.permanent = permanent
        # kind: a short machine-readable category ("dns", "timeout", "http", "blocked",
        # "too_large", "not_feed", ...), used by health decisions and tests.
        self.kind = kind


class BlockedAddressError(FetchError):
    """The URL (or a redirect) points at a non-public address or a refused scheme."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True, kind="blocked")


class ParseError(AllianceError):
    """The body is not a feed we can read (HTML page, garbage, empty, hostile)."""

    def __init__(self, message: str, *, kind: str = "parse"):
        super().__init__(message)
        self.kind = kind


class StoreError(AllianceError):
    """The database is unusable (corrupt file, locked, unreachable)."""


class CommandError(AllianceError):
    """A user's command was malformed or not allowed; the message is shown to them."""
