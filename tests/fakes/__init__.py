"""Loopback stand-ins for the chat platforms, driven by the real SDKs in tests.

Each stand-in is an aiohttp server on 127.0.0.1 (port 0) that speaks enough of
the platform's API for discord.py / slack_sdk / slack_bolt, validates what it
receives against the platform's published schemas and limits, counts pings,
enforces rate limits the way the platform does and can inject faults.
"""
