"""Slash commands declared once, as data; each adapter translates them.

The core defines *what* a command is (name, arguments, help, admin flag); the
Discord and Slack adapters decide how their platform shows it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArgSpec:
    name: str
    help: str
    required: bool = False
    # "companies" or "sources": the platform may offer autocomplete from that list.
    autocomplete: str | None = None
    # True when the argument swallows the rest of the line (free text query).
    rest: bool = False


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str  # subcommand of /alliance, lowercase, 1-32 chars
    help: str  # one line, <= 100 chars (Discord's description limit)
    args: tuple[ArgSpec, ...] = ()
    admin_only: bool = False
    example: str = ""
