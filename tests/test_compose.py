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


APP_SERVICES = {"survey", "cache-warmer", "sms-worker", "survey-citus"}


def test_the_service_runs_from_an_image_built_from_this_checkout() -> None:
    """A pip build writes build/ and *.egg-info into its source, so it cannot install
    from a read-only mount of the checkout at start (review 3): the image installs the
    project when it is built, with WeasyPrint's Pango, and nothing mounts the source."""
    services = compose()["services"]
    assert {n for n, s in services.items() if "build" in s} == APP_SERVICES
    builds = {repr(services[n]["build"]) for n in APP_SERVICES}
    images = {services[n]["image"] for n in APP_SERVICES}
    assert len(builds) == 1 and len(images) == 1  # one image for all of them
    dockerfile = services["survey"]["build"]["dockerfile_inline"]
    assert services["survey"]["build"]["context"] == "."
    lines = [line.strip() for line in dockerfile.splitlines() if line.strip()]
    assert lines[0].startswith("FROM python:3.11-")
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0"):
        assert library in dockerfile
    copies = [line.split()[1:] for line in lines if line.startswith("COPY ")]
    sources = [s for *found, _ in copies for s in found]
    for source in sources:
        assert (ROOT / source).exists(), source
    # What the package build needs, then the data the service reads at run time.
    assert {"pyproject.toml", "README.md", "survey", "analysis"} <= set(sources)
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    copied_before = {s for i, line in enumerate(lines[:install]) if line.startswith("COPY ")
                     for s in line.split()[1:-1]}
    assert {"pyproject.toml", "survey", "analysis"} <= copied_before
    env = dict(re.findall(r"(SURVEY_\w+)=(\S+)", next(x for x in lines if x.startswith("ENV "))))
    destinations = {dest for *_, dest in copies}
    assert env == {"SURVEY_QUESTIONNAIRE_DIR": "/app/questionnaires",
                   "SURVEY_LOCALES_DIR": "/app/locales"}
    assert set(env.values()) <= destinations
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    for name in APP_SERVICES:
        service = services[name]
        assert not any(m.split(":")[0].startswith((".", "/")) for m in
                       service.get("volumes", [])), f"{name} mounts the checkout"
        assert service["command"].split()[0] == "survey", name
        if "healthcheck" in service:
            assert service["healthcheck"]["start_period"] == "60s", name


def test_every_long_running_service_comes_back_on_its_own() -> None:
    """A worker that ends (before it learned to ride out a lost database connection, the
    SMS worker stopped for good at a PostgreSQL restart, and texts with it) or a
    database that crashes is started again; only the one-shot setup is not."""
    services = compose()["services"]
    one_shot = {n for n, s in services.items()
                if any(c == "service_completed_successfully" for o in services.values()
                       for d, c in depends(o).items() if d == n)}
    assert one_shot == {"citus-setup"}
    assert services["citus-setup"]["restart"] == "no"
    for name in services.keys() - one_shot:
        assert services[name].get("restart") == "unless-stopped", name
    assert {"sms-worker", "cache-warmer", "survey", "postgres"} <= services.keys()
