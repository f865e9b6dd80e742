"""The rendered site under a real `nginx -t` (Debian's nginx; see tests/gateway/nginx.py).

`nginx -t` binds every listen socket, so sites are tested on 127.0.0.1 with a free high port
(`on_loopback`); test_gateway_site shows that only the listen lines differ from production.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import GatewaySite, Route, Upstream, render_site

from .nginx import CheckResult, Nginx, check_site, check_site_in_debian_conf, free_port
from .sites import QDRANT, on_loopback, reference_site

pytestmark = pytest.mark.e2e


def _assert_clean(result: CheckResult) -> None:
    assert result.ok, result.output
    # A warning (a conflicting server name, an ignored directive) is a defect too.
    assert "[warn]" not in result.output, result.output
    assert "test is successful" in result.output


def test_reference_site_passes_nginx_t(nginx: Nginx, tmp_path: Path) -> None:
    text = render_site(on_loopback(reference_site(), free_port()))
    _assert_clean(check_site(nginx, text, tmp_path))


def test_reference_site_passes_nginx_t_inside_debians_own_nginx_conf(
    nginx: Nginx, tmp_path: Path
) -> None:
    # As installed: conf.d/phoenix-gateway.conf next to Debian's http-level settings.
    text = render_site(on_loopback(reference_site(), free_port()))
    _assert_clean(check_site_in_debian_conf(nginx, text, tmp_path))


def test_fails_when_debians_default_site_is_still_enabled(nginx: Nginx, tmp_path: Path) -> None:
    # Why install_commands removes sites-enabled/default: both claim default_server on :80.
    # Nginx rejects this while parsing, before it binds port 80, so any user can check it.
    result = check_site_in_debian_conf(
        nginx, render_site(reference_site()), tmp_path, keep_default_site=True
    )
    assert not result.ok
    assert "a duplicate default server for 0.0.0.0:80" in result.output


def test_a_site_with_every_kind_of_route_passes_nginx_t(nginx: Nginx, tmp_path: Path) -> None:
    site = GatewaySite(
        listen_address="127.0.0.1",
        listen_port=free_port(),
        server_name="gateway.phoenix.local",
        client_max_body_size_mib=0,
        read_timeout_seconds=3600,
        routes=[
            Route(path="/", upstream=Upstream("10.0.0.110", 8080)),
            QDRANT,
            Route(path="/qdrant/admin/", upstream=Upstream("10.0.0.103", 6334, "https")),
            Route(path="/a.b~c-d_e/", upstream=Upstream("10.0.0.104", 1)),
            Route(host="portainer.phoenix.local", upstream=Upstream("10.0.0.101", 9443, "https")),
            Route(host="portainer.phoenix.local", path="/api/", upstream=Upstream("10.0.0.1", 1)),
            Route(host="grafana.phoenix.local", path="/x/", upstream=Upstream("10.0.0.105", 3000)),
            # Nginx resolves host names while loading; /etc/hosts always knows localhost.
            Route(path="/local/", upstream=Upstream("localhost", 65535)),
        ],
    )
    _assert_clean(check_site(nginx, render_site(site), tmp_path))


def test_a_site_without_routes_passes_nginx_t(nginx: Nginx, tmp_path: Path) -> None:
    site = GatewaySite(routes=[], listen_address="127.0.0.1", listen_port=free_port())
    _assert_clean(check_site(nginx, render_site(site), tmp_path))


def test_harness_reports_what_nginx_rejects(nginx: Nginx, tmp_path: Path) -> None:
    # The check is not vacuous: a duplicated location (what validation prevents) fails.
    text = render_site(on_loopback(reference_site(), free_port()))
    start = text.index("    location /qdrant/ {")
    block = text[start : text.index("    }\n", start) + 6]
    result = check_site(nginx, text.replace(block, block + block), tmp_path)
    assert not result.ok
    assert 'duplicate location "/qdrant/"' in result.output


def test_nginx_t_writes_its_pid_and_temp_dirs_under_the_prefix(
    nginx: Nginx, tmp_path: Path
) -> None:
    result = check_site(nginx, render_site(on_loopback(reference_site(), free_port())), tmp_path)
    assert result.ok, result.output
    created = {path.name for path in tmp_path.iterdir()}
    assert {"nginx.pid", "temp-proxy", "temp-client_body"} <= created
