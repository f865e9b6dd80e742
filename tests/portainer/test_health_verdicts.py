"""What counts as up, judged from Docker's answers (pure: no server)."""

from __future__ import annotations

import struct
from typing import Any

from portainer.docker_proxy import ContainerDetails, ContainerSummary, demultiplex, printable
from portainer.health import StackHealth, judge_container, judge_services


def container(
    service: str, status: str = "running", *, one_off: bool = False, **state: Any
) -> tuple[ContainerSummary, ContainerDetails]:
    labels = {"com.docker.compose.service": service}
    if one_off:
        labels["com.docker.compose.oneoff"] = "True"
    summary = ContainerSummary.model_validate({"Id": f"id-{service}", "Labels": labels})
    details = ContainerDetails.model_validate(
        {
            "Id": f"id-{service}",
            "Name": f"/app-{service}-1",
            "State": {"Status": status, **state},
            "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
        }
    )
    return summary, details


def test_every_declared_service_needs_a_running_container() -> None:
    verdicts = judge_services(["db", "web"], [container("web")])
    assert [(v.service, v.ok) for v in verdicts] == [("db", False), ("web", True)]
    assert StackHealth(services=verdicts).problems() == [
        "service db: no container (not created, or removed)"
    ]


def test_orphans_and_one_off_containers_do_not_count() -> None:
    # a service removed from the file (compose leaves it running) and a `compose run` container
    verdicts = judge_services(
        ["web"],
        [container("web"), container("old", "exited"), container("web", "exited", one_off=True)],
    )
    assert [(v.service, len(v.containers), v.ok) for v in verdicts] == [("web", 1, True)]


def test_without_declared_services_any_container_counts_but_one_is_needed() -> None:
    # desired states written before health checks name no services
    assert StackHealth(services=judge_services([], [])).problems() == ["no container"]
    assert StackHealth(services=judge_services([], [container("web")])).healthy


def test_states_that_waiting_does_not_change_end_the_wait() -> None:
    _, exited = container("web", "exited", ExitCode=3, Error="")
    _, dead = container("web", "dead")
    _, restarting = container("web", "restarting", ExitCode=1)
    assert judge_container(exited).final
    assert judge_container(dead).final
    assert not judge_container(restarting).final


def test_a_health_check_decides_for_a_running_container() -> None:
    _, starting = container("web", Health={"Status": "starting"})
    _, healthy = container("web", Health={"Status": "healthy"})
    _, none = container("web", Health={"Status": "none"})
    assert not judge_container(starting).ok
    assert judge_container(healthy).ok
    assert judge_container(none).ok


def test_docker_nulls_are_empty() -> None:
    summary = ContainerSummary.model_validate({"Id": "x", "Names": None, "Labels": None})
    assert (summary.Names, summary.Labels, summary.service) == ((), {}, "")


def test_log_stream_is_demultiplexed_and_made_printable() -> None:
    frames = struct.pack(">BxxxI", 1, 4) + b"out\n" + struct.pack(">BxxxI", 2, 4) + b"err\n"
    assert demultiplex(frames) == b"out\nerr\n"
    assert demultiplex(frames[:-2]) == b"out\ner"  # a cut last frame: what arrived
    assert demultiplex(b"plain text\n") == b"plain text\n"  # no frame header: kept as it is
    assert printable("\x1b[1;31mred\x1b[0m\x07 bell\r") == "red bell"
    assert printable("x" * 500) == "x" * 297 + "..."
