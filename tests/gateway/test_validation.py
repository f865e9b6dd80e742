"""Invalid sites fail when they are built, with one ValueError naming every problem."""

from __future__ import annotations

from typing import Any

import pytest

from gateway import GatewaySite, GatewaySiteError, Route, Upstream

from .sites import PORTAINER, QDRANT

UP = Upstream("10.0.0.102", 6333)


def _problems(**site: Any) -> tuple[str, ...]:
    site.setdefault("routes", [QDRANT])
    with pytest.raises(GatewaySiteError) as caught:
        GatewaySite(**site)
    return caught.value.problems


def _route_problems(**route: Any) -> tuple[str, ...]:
    route.setdefault("upstream", UP)
    return _problems(routes=[Route(**route)])


def test_valid_reference_routes_build() -> None:
    site = GatewaySite(routes=[PORTAINER, QDRANT])
    assert site.routes == (PORTAINER, QDRANT)
    assert site.hosts == ("portainer.phoenix.local",)


def test_site_error_is_a_value_error_listing_every_problem() -> None:
    with pytest.raises(ValueError, match=r"invalid gateway site \(3 problems\)") as caught:
        GatewaySite(
            listen_port=0,
            routes=[
                Route(path="qdrant/", upstream=UP),
                Route(path="/x/", upstream=Upstream("10.0.0.300", 1)),
            ],
        )
    message = str(caught.value)
    assert "listen port 0 is out of range" in message
    assert "path 'qdrant/' is not valid" in message
    assert "'10.0.0.300' is not a valid IPv4 address" in message


@pytest.mark.parametrize("path", ["qdrant/", "/qdrant", "", "qdrant"])
def test_fails_when_path_does_not_start_and_end_with_a_slash(path: str) -> None:
    (problem,) = _route_problems(path=path)
    assert f"path {path!r} is not valid: it must be a URL prefix that starts and ends" in problem


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/a//b/", "'//'"),
        ("/a/../", "'..' segment"),
        ("/./", "'.' segment"),
        ("/a b/", "segment 'a b' may only contain"),
        ("/a;b/", "segment 'a;b' may only contain"),
        ("/a{b/", "segment 'a{b' may only contain"),
        ("/%2F/", "segment '%2F' may only contain"),
    ],
)
def test_fails_when_path_has_a_bad_segment(path: str, detail: str) -> None:
    (problem,) = _route_problems(path=path)
    assert detail in problem


@pytest.mark.parametrize(
    ("host", "detail"),
    [
        ("Portainer.phoenix.local", "write it in lower case ('portainer.phoenix.local')"),
        ("portainer", "fully qualified"),
        ("portainer.phoenix.", "fully qualified"),
        ("-portainer.phoenix.local", "fully qualified"),
        ("portainer_1.phoenix.local", "fully qualified"),
        ("*.phoenix.local", "fully qualified"),
        ("portainer.phoenix.local;", "fully qualified"),
        ("10.0.0.101", "not an IP address"),
        ("portainer.phoenix.123", "fully qualified"),
    ],
)
def test_fails_when_host_is_not_a_lower_case_dns_name(host: str, detail: str) -> None:
    (problem,) = _route_problems(host=host)
    assert f"host {host!r} is not valid" in problem
    assert detail in problem


@pytest.mark.parametrize(
    ("address", "detail"),
    [
        ("10.0.0.300", "not a valid IPv4 address"),
        ("10.0.0", "not a valid IPv4 address"),
        ("http://10.0.0.102", "no scheme, port or path"),
        ("10.0.0.102:6333", "no scheme, port or path"),
        ("DrPhoenix", "lower-case host name"),
        ("", "lower-case host name"),
        ("fe80::1", "IPv4 address"),
    ],
)
def test_fails_when_upstream_address_is_not_ipv4_or_a_host_name(address: str, detail: str) -> None:
    (problem,) = _route_problems(path="/x/", upstream=Upstream(address, 80))
    assert f"upstream address {address!r}" in problem
    assert detail in problem


def test_upstream_address_may_be_a_host_name() -> None:
    site = GatewaySite(routes=[Route(path="/x/", upstream=Upstream("drphoenix", 6333))])
    assert site.routes[0].upstream.origin == "http://drphoenix:6333"


@pytest.mark.parametrize(
    ("port", "detail"),
    [(0, "out of range"), (65536, "out of range"), (True, "integer"), ("80", "integer")],
)
def test_fails_when_upstream_port_is_out_of_range(port: Any, detail: str) -> None:
    (problem,) = _route_problems(path="/x/", upstream=Upstream("10.0.0.1", port))
    assert "upstream port" in problem
    assert detail in problem


def test_fails_when_upstream_scheme_is_not_http_or_https() -> None:
    (problem,) = _route_problems(path="/x/", upstream=Upstream("10.0.0.1", 21, "ftp"))  # type: ignore[arg-type]
    assert "upstream scheme 'ftp' is not valid: use http or https" in problem


def test_fails_when_route_has_neither_path_nor_host() -> None:
    (problem,) = _route_problems()
    assert "a route needs a path, a host, or both" in problem


@pytest.mark.parametrize("name", ["", "two\nlines", "x" * 81, "caf\u00e9"])
def test_fails_when_route_name_is_not_one_short_printable_line(name: str) -> None:
    (problem,) = _route_problems(path="/x/", name=name)
    assert "route name" in problem


def test_fails_when_two_routes_claim_the_same_path_on_the_default_server() -> None:
    problems = _problems(
        routes=[QDRANT, Route(name="other", path="/qdrant/", upstream=Upstream("10.0.0.9", 1))]
    )
    assert problems == (
        "routes 'drphoenix:6333', 'other' claim the same path '/qdrant/' on the default server",
    )


def test_fails_when_a_whole_host_and_its_root_path_are_both_declared() -> None:
    problems = _problems(
        routes=[PORTAINER, Route(host="portainer.phoenix.local", path="/", upstream=UP)]
    )
    assert problems == (
        "routes 'portainer:9443', 'portainer.phoenix.local/' claim the same path '/' on "
        "host 'portainer.phoenix.local'",
    )


def test_same_path_on_different_hosts_is_fine() -> None:
    GatewaySite(
        routes=[
            Route(path="/api/", upstream=UP),
            Route(host="a.phoenix.local", path="/api/", upstream=UP),
            Route(host="b.phoenix.local", path="/api/", upstream=UP),
        ]
    )


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("listen_port", 70000, "listen port 70000 is out of range"),
        ("listen_address", "0.0.0.0.0", "listen address '0.0.0.0.0' is not a valid IPv4"),
        ("server_name", "Gateway", "server name 'Gateway' is not valid"),
        ("client_max_body_size_mib", -1, "client_max_body_size_mib -1 is not valid"),
        ("read_timeout_seconds", 0, "read_timeout_seconds 0 is not valid"),
        ("read_timeout_seconds", 86401, "read_timeout_seconds 86401 is not valid"),
    ],
)
def test_fails_when_a_site_setting_is_out_of_range(field: str, value: Any, detail: str) -> None:
    (problem,) = _problems(**{field: value})
    assert detail in problem


def test_fails_when_server_name_is_also_a_route_host() -> None:
    (problem,) = _problems(routes=[PORTAINER], server_name="portainer.phoenix.local")
    assert "is also the default server's server_name" in problem


def test_fails_when_routes_are_not_route_objects() -> None:
    not_an_upstream: Any = ("10.0.0.1", 80)
    problems = _problems(routes=[{"path": "/x/"}, Route(path="/y/", upstream=not_an_upstream)])
    assert problems == (
        "routes[0] is a dict, not a Route",
        "route '*/y/': upstream is a tuple, not an Upstream",
    )


def test_site_routes_are_frozen_into_a_tuple() -> None:
    routes = [QDRANT]
    site = GatewaySite(routes=routes)
    routes.append(PORTAINER)
    assert site.routes == (QDRANT,)
    assert hash(site) == hash(GatewaySite(routes=[QDRANT]))
