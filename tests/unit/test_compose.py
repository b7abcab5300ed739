"""docker-compose.yml, Dockerfile and .env.example keep the properties the stack relies on."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flower.views.tasks import TASK_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

# Placeholder values for the variables compose refuses to run without.
REQUIRED_VARS = {
    "MINIO_ROOT_USER": "placeholder-admin",
    "MINIO_ROOT_PASSWORD": "placeholder-admin-password",
    "DOCFLOW_S3_ACCESS_KEY": "placeholder-app",
    "DOCFLOW_S3_SECRET_KEY": "placeholder-app-password",
    "FLOWER_BASIC_AUTH": "placeholder-user:placeholder-password",
}
REQUIRED_REF = re.compile(r"^\$\{(?P<name>[A-Z][A-Z0-9_]*):\?[^}]+\}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|ROOT_USER|BASIC_AUTH")
APP_SERVICES = ("worker-ingest", "worker-process", "beat", "events", "flower")
LONG_RUNNING = ("redis", "minio", *APP_SERVICES)
WORKERS = ("worker-ingest", "worker-process")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert "version" not in compose, "the compose spec needs no version key"
    result: dict[str, Any] = compose["services"]
    return result


def _environments(services: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            yield name, key, str(value)


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def _run_config(variables: dict[str, str], tmp_path: Path) -> Any:
    # An empty --env-file keeps a developer's real .env out of the check.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED_VARS} | variables
    return subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(empty_env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            "-q",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_compose_config_is_valid(tmp_path: Path) -> None:
    # Debian's docker-compose 1.29 (installed by .ci/run); no Docker engine is needed.
    result = _run_config(REQUIRED_VARS, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED_VARS))
def test_compose_config_refuses_a_missing_secret(missing: str, tmp_path: Path) -> None:
    variables = {k: v for k, v in REQUIRED_VARS.items() if k != missing}
    result = _run_config(variables, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_compose_has_the_whole_stack(services: dict[str, Any]) -> None:
    assert set(services) == {"redis", "minio", "mc", *APP_SERVICES}


@pytest.mark.parametrize(
    ("service", "prefix"),
    [
        ("redis", "redis:7.2."),
        ("minio", "quay.io/minio/minio:RELEASE.20"),
        ("mc", "quay.io/minio/mc:RELEASE.20"),
    ],
)
def test_compose_third_party_images_are_pinned(
    services: dict[str, Any], service: str, prefix: str
) -> None:
    image = services[service]["image"]
    assert image.startswith(prefix)
    assert not image.endswith(":latest")
    if "minio" in prefix:
        assert re.search(r"@sha256:[0-9a-f]{64}$", image), "MinIO images are pinned by digest too"


def test_compose_no_image_is_latest_or_untagged(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service["image"]
        tag = image.split("@")[0].rsplit("/", 1)[-1]
        assert ":" in tag, f"{name}: untagged image {image}"
        assert not tag.endswith(":latest"), f"{name}: {image}"


def test_compose_app_services_share_the_repo_image(services: dict[str, Any]) -> None:
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    assert all(services[name]["build"] == "." for name in APP_SERVICES)


def test_compose_redis_persists_and_never_evicts(services: dict[str, Any]) -> None:
    redis = services["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert _option(command, "--appendonly") == "yes"
    assert _option(command, "--appendfsync") == "everysec"
    assert _option(command, "--maxmemory-policy") == "noeviction"
    assert _option(command, "--maxmemory")
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


@pytest.mark.parametrize(
    ("service", "ports"),
    [
        ("redis", ["127.0.0.1:6379:6379"]),
        ("minio", ["127.0.0.1:9000:9000", "127.0.0.1:9001:9001"]),
        ("flower", ["127.0.0.1:5555:5555"]),
    ],
)
def test_compose_publishes_only_on_localhost(
    services: dict[str, Any], service: str, ports: list[str]
) -> None:
    assert services[service]["ports"] == ports


def test_compose_no_other_service_publishes_ports(services: dict[str, Any]) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"redis", "minio", "flower"}
    for name, service in services.items():
        assert "network_mode" not in service, name
        assert not service.get("privileged"), name


def test_compose_secrets_are_required_variables(services: dict[str, Any]) -> None:
    secrets = [(n, k, v) for n, k, v in _environments(services) if SECRET_NAME.search(k)]
    assert len(secrets) >= len(REQUIRED_VARS)
    for name, key, value in secrets:
        assert REQUIRED_REF.match(value), f"{name}.{key} must be ${{VAR:?message}}, got {value}"


def test_compose_no_secret_has_a_default() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for match in re.finditer(r"\$\{(?P<name>\w+):?-", text):
        assert not SECRET_NAME.search(match["name"]), match["name"]


def test_compose_required_variables_are_the_documented_ones(services: dict[str, Any]) -> None:
    referenced = {
        match["name"]
        for _, _, value in _environments(services)
        if (match := REQUIRED_REF.match(value))
    }
    assert referenced == set(REQUIRED_VARS)


def test_compose_env_example_documents_every_required_variable() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    values = dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    assert set(values) == set(REQUIRED_VARS)
    assert all("change-me" in value for value in values.values()), "placeholders only"


def test_compose_flower_requires_basic_auth_from_env(services: dict[str, Any]) -> None:
    flower = services["flower"]
    assert flower["command"][:5] == ["celery", "-A", "tasks.app", "flower", "--port=5555"]
    assert REQUIRED_REF.match(flower["environment"]["FLOWER_BASIC_AUTH"])
    assert not any(key.startswith("FLOWER_UNAUTHENTICATED") for key in flower["environment"])


@pytest.mark.parametrize("column", ["args", "kwargs", "result", "exception", "state", "worker"])
def test_compose_flower_task_list_shows_column(services: dict[str, Any], column: str) -> None:
    (flag,) = [arg for arg in services["flower"]["command"] if arg.startswith("--tasks_columns=")]
    columns = flag.removeprefix("--tasks_columns=").split(",")
    assert column in columns
    # Flower drops a slug it does not know without a word: every one must be its own.
    assert set(columns) <= set(TASK_COLUMNS)


@pytest.mark.parametrize(
    ("service", "probe"),
    [
        ("redis", "redis-cli ping"),
        ("minio", "mc ready local"),
        ("worker-ingest", "celery -A tasks.app inspect ping"),
        ("worker-process", "celery -A tasks.app inspect ping"),
        ("flower", "http://127.0.0.1:5555/healthcheck"),
    ],
)
def test_compose_healthchecks(services: dict[str, Any], service: str, probe: str) -> None:
    healthcheck = services[service]["healthcheck"]
    assert probe in " ".join(healthcheck["test"][1:])
    assert {"interval", "timeout", "retries"} <= set(healthcheck)


@pytest.mark.parametrize("worker", WORKERS)
def test_compose_worker_healthcheck_pings_its_own_node(
    services: dict[str, Any], worker: str
) -> None:
    service = services[worker]
    prefix = service["environment"]["WORKER_NAME_PREFIX"]
    assert _option(service["command"], "--hostname") == f"{prefix}@%h"
    assert "--destination" in service["healthcheck"]["test"][1]


@pytest.mark.parametrize(
    ("service", "dependency", "condition"),
    [
        ("minio", "redis", "service_healthy"),
        ("mc", "minio", "service_healthy"),
        ("flower", "redis", "service_healthy"),
        *[
            (app, dependency, condition)
            for app in ("worker-ingest", "worker-process", "beat", "events")
            for dependency, condition in (
                ("redis", "service_healthy"),
                ("minio", "service_healthy"),
                ("mc", "service_completed_successfully"),
            )
        ],
    ],
)
def test_compose_depends_on_conditions(
    services: dict[str, Any], service: str, dependency: str, condition: str
) -> None:
    assert services[service]["depends_on"][dependency] == {"condition": condition}


def test_compose_conditions_match_their_targets(services: dict[str, Any]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, spec in depends_on.items():
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} -> {dependency}"
            else:
                assert spec["condition"] == "service_completed_successfully"
                assert services[dependency]["restart"] == "no", f"{name} -> {dependency}"


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_compose_long_running_services_restart(services: dict[str, Any], service: str) -> None:
    assert services[service]["restart"] == "unless-stopped"


def test_compose_setup_job_runs_once(services: dict[str, Any]) -> None:
    assert services["mc"]["restart"] == "no"


@pytest.mark.parametrize(
    ("service", "command"),
    [
        (
            "worker-ingest",
            ["celery", "-A", "tasks.app", "worker", "-Q", "docflow.ingest", "--concurrency", "4"],
        ),
        (
            "worker-process",
            [
                "celery",
                "-A",
                "tasks.app",
                "worker",
                "-Q",
                "docflow.process",
                "--concurrency",
                "2",
                "--prefetch-multiplier",
                "1",
            ],
        ),
        ("beat", ["celery", "-A", "tasks.app", "beat"]),
        ("events", ["docflow", "events"]),
        ("flower", ["celery", "-A", "tasks.app", "flower", "--port=5555"]),
    ],
)
def test_compose_service_commands(
    services: dict[str, Any], service: str, command: list[str]
) -> None:
    assert services[service]["command"][: len(command)] == command


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_app_services_can_scale_and_stop_cleanly(
    services: dict[str, Any], service: str
) -> None:
    app = services[service]
    assert "container_name" not in app
    assert app["init"] is True
    assert app["cap_drop"] == ["ALL"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DOCFLOW_BROKER_URL", "redis://redis:6379/0"),
        ("DOCFLOW_S3_ENDPOINT_URL", "http://minio:9000"),
        ("DOCFLOW_INGEST_BUCKET", "docflow-ingest"),
        ("DOCFLOW_OUTPUT_BUCKET", "docflow-output"),
        ("DOCFLOW_EVENTS_KEY", "docflow:events"),
        ("AWS_DEFAULT_REGION", "${AWS_DEFAULT_REGION:-us-east-1}"),
    ],
)
def test_compose_app_settings(services: dict[str, Any], key: str, value: str) -> None:
    for name in APP_SERVICES:
        assert services[name]["environment"][key] == value, name


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("MINIO_NOTIFY_REDIS_ENABLE_PRIMARY", "on"),
        ("MINIO_NOTIFY_REDIS_ADDRESS_PRIMARY", "redis:6379"),
        ("MINIO_NOTIFY_REDIS_KEY_PRIMARY", "docflow:events"),
        ("MINIO_NOTIFY_REDIS_FORMAT_PRIMARY", "access"),
    ],
)
def test_compose_minio_publishes_events_to_redis(
    services: dict[str, Any], key: str, value: str
) -> None:
    assert services["minio"]["environment"][key] == value


def _run_setup(services: dict[str, Any], tmp_path: Path, attach_error: str) -> Any:
    """Run the mc job's script under sh with a stub `mc` that logs its arguments."""
    script = services["mc"]["command"][0].replace("$$", "$")
    stub = tmp_path / "mc"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{tmp_path}/calls"\n'
        'case "$*" in "admin policy attach"*)\n'
        f'  if [ -f "{tmp_path}/attached" ]; then echo "{attach_error}" >&2; exit 1; fi\n'
        f'  touch "{tmp_path}/attached";;\n'
        "esac\n",
        encoding="utf-8",
    )
    stub.chmod(0o755)
    env = dict(services["mc"]["environment"]) | REQUIRED_VARS
    env |= {"PATH": f"{tmp_path}:{os.environ['PATH']}", "TMPDIR": str(tmp_path)}
    return subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, check=False, timeout=30
    )


def test_compose_setup_job_is_idempotent(services: dict[str, Any], tmp_path: Path) -> None:
    already = "The specified policy change is already in effect."
    first = _run_setup(services, tmp_path, already)
    second = _run_setup(services, tmp_path, already)
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    calls = (tmp_path / "calls").read_text(encoding="utf-8").splitlines()
    for expected in (
        "mb --ignore-existing local/docflow-ingest",
        "mb --ignore-existing local/docflow-output",
        "event add --ignore-existing local/docflow-ingest arn:minio:sqs::PRIMARY:redis --event put",
        "admin user add local placeholder-app placeholder-app-password",
    ):
        assert calls.count(expected) == 2, expected


def test_compose_setup_job_grants_only_the_two_buckets(
    services: dict[str, Any], tmp_path: Path
) -> None:
    assert _run_setup(services, tmp_path, "unused").returncode == 0
    policy = json.loads((tmp_path / "docflow-app-policy.json").read_text(encoding="utf-8"))
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert resources == {
        f"arn:aws:s3:::{bucket}{suffix}"
        for bucket in ("docflow-ingest", "docflow-output")
        for suffix in ("", "/*")
    }
    assert not any("*" in a for s in policy["Statement"] for a in s["Action"])


def test_compose_setup_job_fails_on_a_real_error(services: dict[str, Any], tmp_path: Path) -> None:
    assert _run_setup(services, tmp_path, "Access Denied.").returncode == 0
    second = _run_setup(services, tmp_path, "Access Denied.")
    assert second.returncode != 0
    assert "Access Denied." in second.stderr


def test_compose_dockerfile_builds_a_non_root_image_without_secrets() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms and all(line.startswith("FROM python:3.11-slim") for line in froms)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    text = "\n".join(lines)
    assert text.index("pip install --upgrade pip") < text.index("pip install .")
    for line in lines:
        if line.startswith(("ENV ", "ARG ")):
            assert not SECRET_NAME.search(line), line


def test_compose_dockerignore_keeps_env_files_out() -> None:
    patterns = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", ".env.*", ".git", ".venv"} <= set(patterns)
