"""Parsing of the driver's store URLs (no server needed)."""

from __future__ import annotations

import pytest

from sessionjar import ConfigurationError
from sessionjar_redis._url import DEFAULT_BUCKETS, DEFAULT_TIMEOUT, parse_url


def test_standalone_url_with_credentials_and_database() -> None:
    options = parse_url("redis://us%40er:p%3Ass@cache.example:6380/3?socket_timeout=0.5")
    assert not options.cluster
    assert options.nodes == (("cache.example", 6380),)
    assert options.buckets == 1
    kwargs = options.client_kwargs
    assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("us@er", "p:ss", 3)
    assert kwargs["socket_timeout"] == 0.5
    assert kwargs["socket_connect_timeout"] == 5.0
    assert "ssl" not in kwargs
    assert "p:ss" not in options.describe()


def test_timeout_bounds_calls_and_sets_the_socket_timeouts() -> None:
    options = parse_url("redis://cache.example?timeout=2")
    assert options.timeout == 2.0
    assert options.client_kwargs["socket_timeout"] == 2.0
    assert options.client_kwargs["socket_connect_timeout"] == 2.0
    default = parse_url("redis+cluster://cache.example:7001")
    assert default.timeout == DEFAULT_TIMEOUT <= 10
    with pytest.raises(ConfigurationError, match="timeout"):
        parse_url("redis://cache.example?timeout=0")


def test_defaults_to_localhost_port_6379_database_0() -> None:
    options = parse_url("redis://")
    assert options.nodes == (("localhost", 6379),)
    assert options.client_kwargs["db"] == 0


def test_tls_url_verifies_certificates_by_default() -> None:
    kwargs = parse_url("rediss://cache.example?ssl_ca_certs=/etc/ca.pem").client_kwargs
    assert kwargs["ssl"] is True
    assert kwargs["ssl_cert_reqs"] == "required"
    assert kwargs["ssl_check_hostname"] is True
    assert kwargs["ssl_ca_certs"] == "/etc/ca.pem"


def test_unix_socket_url() -> None:
    options = parse_url("unix:///run/redis/redis.sock?db=2")
    assert options.nodes == ()
    assert options.client_kwargs["unix_socket_path"] == "/run/redis/redis.sock"
    assert options.client_kwargs["db"] == 2
    assert options.describe() == "unix:/run/redis/redis.sock"


def test_cluster_url_with_several_startup_nodes() -> None:
    options = parse_url("rediss+cluster://:secret@n1:7001,n2:7002,[::1]:7003?buckets=32")
    assert options.cluster
    assert options.nodes == (("n1", 7001), ("n2", 7002), ("::1", 7003))
    assert options.buckets == 32
    assert options.client_kwargs["password"] == "secret"
    assert options.client_kwargs["ssl"] is True
    assert "db" not in options.client_kwargs


def test_cluster_url_defaults_to_sixteen_buckets() -> None:
    assert parse_url("redis+cluster://127.0.0.1:7001").buckets == DEFAULT_BUCKETS == 16


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://cache.example", "cannot open"),
        ("redis://cache.example?colour=blue", "unknown option"),
        ("redis://cache.example?ssl_ca_certs=/ca.pem", "unknown option"),
        ("redis://cache.example?buckets=4", "unknown option"),
        ("redis+cluster://n1:7001?db=1", "unknown option"),
        ("redis+cluster://n1:7001/2", "only database 0"),
        ("redis+cluster://n1:7001?buckets=0", "buckets"),
        ("redis+cluster://n1:7001?buckets=129", "buckets"),
        ("redis://a:1,b:2", "several hosts"),
        ("redis://cache.example:99999", "bad host or port"),
        ("redis://cache.example/x", "database number"),
        ("redis://cache.example?socket_timeout=0", "socket_timeout"),
        ("redis://cache.example?socket_timeout=nan", "socket_timeout"),
        ("redis://cache.example?socket_timeout=1&socket_timeout=2", "twice"),
        ("rediss://cache.example?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("rediss://cache.example?ssl_check_hostname=yes", "ssl_check_hostname"),
        ("unix://", "socket's path"),
        ("redis://cache.example#frag", "fragment"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        parse_url(url)
