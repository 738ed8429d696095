"""compose.yaml is parsed and its references checked (no Docker engine here to run it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def depends(service: dict[str, Any]) -> dict[str, str]:
    """depends_on in either form, as {service: condition}."""
    found = service.get("depends_on", {})
    if isinstance(found, list):
        return dict.fromkeys(found, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in found.items()}


def test_references_are_consistent() -> None:
    data = compose()
    services: dict[str, dict[str, Any]] = data["services"]
    declared = set(data.get("volumes", {}))
    for name, service in services.items():
        assert "image" in service, name
        image, _, tag = service["image"].partition(":")
        # Pinned: a version tag, never latest or none.
        assert re.match(r"^\d+(\.\d+)*(-[a-z]+)?$", tag), f"{name}: unpinned image {image}"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"
        mine = set(service.get("profiles", []))
        for other, condition in depends(service).items():
            assert other in services, f"{name} depends on unknown {other}"
            theirs = set(services[other].get("profiles", []))
            # A dependency in a profile this service is not in would never start.
            assert not theirs or theirs & mine, f"{name} needs {other} from another profile"
            if condition == "service_healthy":
                assert services[other].get("healthcheck", {}).get("test"), other
            else:
                assert condition == "service_completed_successfully", (name, other)
    used = {m.split(":")[0] for s in services.values() for m in s.get("volumes", []) if ":" in m}
    assert declared <= used, f"declared but unused: {declared - used}"


def test_ports_do_not_clash_within_a_profile() -> None:
    services = compose()["services"]
    profiles = {p for s in services.values() for p in s.get("profiles", [])}
    for profile in {None, *profiles}:
        running = [
            s for s in services.values() if not s.get("profiles") or profile in s["profiles"]
        ]
        ports = [p.split(":")[0] for s in running for p in s.get("ports", [])]
        assert len(ports) == len(set(ports)), (profile, ports)


def test_citus_profile_is_a_cluster_the_service_can_use() -> None:
    services = compose()["services"]
    citus = {n for n, s in services.items() if "citus" in s.get("profiles", [])}
    assert citus == {
        "citus-coordinator",
        "citus-worker-1",
        "citus-worker-2",
        "citus-setup",
        "survey-citus",
    }
    images = {services[n]["image"] for n in citus - {"survey-citus"}}
    assert len(images) == 1 and images.pop().startswith("citusdata/citus:")
    # The one-shot registration names the nodes that exist, and waits for them.
    setup = services["citus-setup"]
    script = " ".join(setup["entrypoint"])
    assert "citus_set_coordinator_host('citus-coordinator', 5432)" in script
    workers = re.findall(r"citus_add_node\('([^']+)', 5432\)", script)
    assert workers == ["citus-worker-1", "citus-worker-2"]
    assert set(depends(setup)) == {"citus-coordinator", *workers}
    # Every node has the same database, where the image's init script creates citus.
    for node in ("citus-coordinator", *workers):
        env = services[node]["environment"]
        assert env["POSTGRES_DB"] == "survey" and env["PGPASSWORD"] == env["POSTGRES_PASSWORD"]
    # The service talks to the coordinator only after the nodes are registered, so
    # its start-up migration (0006) distributes the tables.
    app = services["survey-citus"]
    assert "@citus-coordinator:5432/survey" in app["environment"]["SURVEY_DATABASE_URL"]
    assert depends(app) == {"citus-setup": "service_completed_successfully"}
    assert app["command"] == services["survey"]["command"]
