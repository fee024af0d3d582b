"""Unit tests for bot.netguard: the address policy and the connect-time hook."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from bot.netguard import (
    CLOUD_METADATA,
    AddressGuard,
    BlockedConnectionError,
    is_blocked_connection,
    is_public_ip,
    parse_ip,
)

NOT_PUBLIC = {
    # IPv4
    "0.0.0.0": "unspecified",
    "0.1.2.3": "this network",
    "10.0.0.1": "private 10/8",
    "10.255.255.255": "private 10/8 top",
    "100.64.0.1": "CGNAT",
    "100.127.255.254": "CGNAT top",
    "100.100.100.200": "Alibaba metadata",
    "127.0.0.1": "loopback",
    "127.0.0.2": "loopback, not .1",
    "127.255.255.254": "loopback top",
    "169.254.0.1": "link-local",
    "169.254.169.254": "cloud metadata",
    "169.254.170.2": "ECS metadata",
    "172.16.0.1": "private 172.16/12",
    "172.31.255.254": "private 172.16/12 top",
    "192.0.0.8": "IETF assignments",
    "192.0.0.192": "Oracle metadata",
    "192.0.2.1": "TEST-NET-1",
    "192.88.99.1": "6to4 relay anycast",
    "192.168.1.1": "private 192.168/16",
    "198.18.0.1": "benchmarking",
    "198.19.255.254": "benchmarking top",
    "198.51.100.7": "TEST-NET-2",
    "203.0.113.9": "TEST-NET-3",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast SSDP",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    "168.63.129.16": "Azure WireServer (public range, still metadata)",
    # IPv6
    "::": "unspecified",
    "::1": "loopback",
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:7f00:2": "IPv4-mapped loopback, hex spelling",
    "::ffff:10.0.0.1": "IPv4-mapped private",
    "::ffff:169.254.169.254": "IPv4-mapped metadata",
    "::127.0.0.1": "IPv4-compatible loopback",
    "::8.8.8.8": "IPv4-compatible (deprecated) even if public",
    "::ffff:0:127.0.0.1": "IPv4-translated",
    "64:ff9b::127.0.0.1": "NAT64 of loopback",
    "64:ff9b::a00:1": "NAT64 of 10.0.0.1",
    "64:ff9b::a9fe:a9fe": "NAT64 of metadata",
    "64:ff9b:1::8.8.8.8": "local-use NAT64",
    "2002:7f00:1::": "6to4 of loopback",
    "2002:c0a8:101::1": "6to4 of 192.168.1.1",
    "2002:a9fe:a9fe::1": "6to4 of metadata",
    "100::1": "discard-only",
    "2001::1": "Teredo",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation (RFC 9637)",
    "fc00::1": "ULA fc00::/7 low half",
    "fd00::1": "ULA fd00::/8",
    "fd00:ec2::254": "AWS IMDS IPv6",
    "fe80::1": "link-local",
    "fe80::1%lo": "link-local with scope",
    "febf::1": "link-local top",
    "fec0::1": "site-local (deprecated)",
    "ff02::1": "multicast",
    "4000::1": "outside 2000::/3 (unallocated)",
    # not an address at all
    "": "empty",
    "example.com": "a name",
    "2130706433": "decimal IPv4 spelling is not a canonical literal",
    "0x7f000001": "hex IPv4 spelling",
    "127.1": "short IPv4 spelling",
    "0177.0.0.1": "octal IPv4 spelling",
}

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",  # just below 172.16/12
    "172.32.0.0",  # just above 172.16/12
    "192.167.255.255",
    "198.17.255.255",
    "223.255.255.255",  # last unicast before multicast
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public reaches a public host
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "[2606:4700:4700::1111]",  # bracketed literal
]


@pytest.mark.parametrize(("ip", "why"), sorted(NOT_PUBLIC.items()))
def test_not_public(ip: str, why: str) -> None:
    assert not is_public_ip(ip), why


@pytest.mark.parametrize("ip", PUBLIC)
def test_public(ip: str) -> None:
    assert is_public_ip(ip)


def test_accepts_address_objects() -> None:
    assert not is_public_ip(ipaddress.ip_address("10.1.2.3"))
    assert is_public_ip(ipaddress.ip_address("8.8.4.4"))


def test_every_metadata_address_is_refused_even_on_a_lan() -> None:
    lan = AddressGuard(allow_private_networks=True)
    for ip in CLOUD_METADATA:
        assert not is_public_ip(ip)
        assert not lan.permits(ip, 80), ip
    # ...including spellings that embed it.
    for spelled in ("::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1"):
        assert not lan.permits(spelled, 80), spelled


def test_parse_ip() -> None:
    assert parse_ip("[::1]") == ipaddress.ip_address("::1")
    assert parse_ip("127.1") is None
    assert parse_ip("localhost") is None


class TestAddressGuard:
    def test_default_refuses_private_and_allows_public(self) -> None:
        guard = AddressGuard()
        assert guard.permits("8.8.8.8", 443)
        assert not guard.permits("127.0.0.1", 8080)
        assert not guard.permits("192.168.0.10", 80)

    def test_allow_private_networks_permits_lan_but_not_multicast(self) -> None:
        guard = AddressGuard(allow_private_networks=True)
        for ip in ("127.0.0.1", "10.0.0.5", "192.168.1.1", "fd12::1", "fe80::1", "::1"):
            assert guard.permits(ip, 80), ip
        for ip in ("0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"):
            assert not guard.permits(ip, 80), ip

    def test_allowlist_is_exact_ip_and_port(self) -> None:
        guard = AddressGuard(allowed_endpoints=frozenset({("127.0.0.1", 8080)}))
        assert guard.permits("127.0.0.1", 8080)
        assert guard.permits("::ffff:127.0.0.1", 8080)  # same socket peer
        assert not guard.permits("127.0.0.1", 8081)  # another loopback port
        assert not guard.permits("127.0.0.2", 8080)
        assert not guard.permits("::1", 8080)

    def test_allowlist_rejects_hostnames(self) -> None:
        with pytest.raises(ValueError, match="IP literal"):
            AddressGuard(allowed_endpoints=frozenset({("localhost", 80)}))

    def test_socket_factory_refuses_before_creating_a_socket(self) -> None:
        guard = AddressGuard()
        info = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 80))
        with pytest.raises(BlockedConnectionError):
            guard.socket_factory(info)
        info6 = (
            socket.AF_INET6,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
            "",
            ("::ffff:127.0.0.1", 80, 0, 0),
        )
        with pytest.raises(BlockedConnectionError):
            guard.socket_factory(info6)

    def test_socket_factory_makes_a_socket_for_allowed_peers(self) -> None:
        guard = AddressGuard()
        info = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("8.8.8.8", 443))
        sock = guard.socket_factory(info)  # creates, does not connect
        try:
            assert sock.family == socket.AF_INET
        finally:
            sock.close()


def test_is_blocked_connection_sees_through_wrapping() -> None:
    inner = BlockedConnectionError()
    try:
        try:
            raise inner
        except OSError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as outer:
        assert is_blocked_connection(outer)
    # aiohappyeyeballs's merged message for several refused addresses
    assert is_blocked_connection(OSError(f"Multiple exceptions: {inner}, [Errno 111] refused"))
    assert not is_blocked_connection(ConnectionRefusedError(111, "Connection refused"))
