"""compose.yaml has the shape issue 15 asks for: two web nodes behind a TLS proxy, one scheduler, a
one-shot migration that everything of the app waits for, PostgreSQL and Redis with health checks,
and no secret in the file. (.ci/deploy-check also validates it against the Compose schema.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.files import APP_ROLES, ROOT, WEB_NODES, compose

SERVICES = compose()["services"]
INTERPOLATION = re.compile(r"^\$\{\w+(:?[-?][^}]*)?\}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|(^|_)KEY$|CREDENTIAL", re.I)


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {name: ("" if value is None else str(value)) for name, value in env.items()}


def _depends(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends.items()}


def _published(service: dict) -> set[int]:
    ports = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["published"]))
        else:
            ports.add(int(str(port).split("/")[0].split(":")[-2]))
    return ports


def test_the_services_are_the_roles_the_issue_names():
    assert set(SERVICES) == {"migrate", "app1", "app2", "scheduler", "postgres", "redis", "caddy"}


def test_every_app_role_runs_the_one_image_that_only_migrate_builds():
    images = {SERVICES[name]["image"] for name in APP_ROLES}
    assert len(images) == 1
    assert [name for name, service in SERVICES.items() if "build" in service] == ["migrate"]
    context = SERVICES["migrate"]["build"]["context"]
    assert (ROOT / context / SERVICES["migrate"]["build"].get("dockerfile", "Dockerfile")).is_file()


def test_migrate_is_a_one_shot_flask_db_upgrade_after_postgres_is_healthy():
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["flask", "--app", "feedback.app", "db", "upgrade"]
    assert migrate["restart"] == "no"  # exits 0 and stays down; a restart policy would loop it
    assert migrate["healthcheck"] == {"disable": True}
    assert _depends(migrate) == {"postgres": "service_healthy"}


@pytest.mark.parametrize("name", [*WEB_NODES, "scheduler"])
def test_nodes_and_scheduler_start_only_after_the_migration_succeeded(name):
    assert _depends(SERVICES[name]) == {
        "migrate": "service_completed_successfully",
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }


def test_the_web_nodes_run_the_image_cmd_and_publish_nothing():
    for name in WEB_NODES:
        node = SERVICES[name]
        assert "command" not in node  # the image's CMD: gunicorn -c gunicorn.conf.py wsgi:app
        assert "ports" not in node  # reached through the proxy only
        assert "healthcheck" not in node  # the image's HEALTHCHECK (/livez) applies
        assert node["restart"] == "unless-stopped"


def test_one_scheduler_runs_flask_scheduler_without_the_web_health_check():
    scheduler = SERVICES["scheduler"]
    assert scheduler["command"] == ["flask", "--app", "feedback.app", "scheduler"]
    assert scheduler["healthcheck"] == {"disable": True}
    assert "deploy" not in scheduler or scheduler["deploy"].get("replicas", 1) == 1


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_postgres_and_redis_have_health_checks(name):
    check = SERVICES[name]["healthcheck"]
    assert check["test"][0] == "CMD" and check["test"][1] in ("pg_isready", "redis-cli")
    assert not check.get("disable")


def test_postgres_keeps_its_data_in_a_named_volume_and_reads_its_password_from_a_secret():
    postgres = SERVICES["postgres"]
    volume, _, target = postgres["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data" and volume in compose()["volumes"]
    env = _environment(postgres)
    assert "POSTGRES_PASSWORD" not in env
    assert env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert postgres["secrets"] == ["postgres_password"]


def test_only_the_proxy_publishes_ports_and_it_publishes_https():
    publishing = {name for name, service in SERVICES.items() if service.get("ports")}
    assert publishing == {"caddy"}
    assert {80, 443} <= _published(SERVICES["caddy"])


def test_the_proxy_balances_both_nodes_on_the_port_they_listen_on():
    caddy = SERVICES["caddy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    upstreams = re.search(r"^\s*reverse_proxy\s+(.+?)\s*\{", caddyfile, re.M).group(1).split()
    assert upstreams == [f"{name}:8000" for name in WEB_NODES]
    assert re.search(r"^\s*health_uri\s+/readyz$", caddyfile, re.M)
    assert set(_depends(caddy)) == set(WEB_NODES)


def test_the_health_addresses_the_proxy_and_image_ask_exist(client):
    assert client.get("/readyz").status_code == 200
    assert client.get("/livez").status_code == 200


@pytest.mark.parametrize("name", APP_ROLES)
def test_app_roles_run_in_production_with_redis_and_settings_from_the_env_file(name):
    service = SERVICES[name]
    env = _environment(service)
    assert env["FEEDBACK_ENV"] == "production"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["TRUSTED_PROXIES"] == "1"  # Caddy, the one proxy in front
    assert env["PUBLIC_URL"].startswith("https://${SITE_ADDRESS:?")
    assert service["env_file"] == [{"path": "deploy/production.env", "required": True}]
    # The secrets come from that file, never from compose.yaml.
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env


def test_every_setting_compose_passes_is_one_the_app_reads():
    """A misspelt name would be ignored in silence and the default used."""
    sources = "".join((ROOT / path).read_text(encoding="utf-8") for path in ("feedback/config.py", "gunicorn.conf.py"))
    for name in APP_ROLES:
        for setting in _environment(SERVICES[name]):
            assert f'"{setting}"' in sources or f"'{setting}'" in sources, setting


def test_the_example_env_file_names_every_setting_the_app_needs_and_holds_no_secret():
    example = (ROOT / "deploy" / "production.env.example").read_text(encoding="utf-8")
    values = dict(re.findall(r"^(\w+)=(.*)$", example, re.M))
    assert {"SECRET_KEY", "DATABASE_URL", "SMTP_URL"} <= set(values)
    assert values["SECRET_KEY"] == ""
    assert values["DATABASE_URL"] == "postgresql://feedback:PASSWORD@postgres:5432/feedback"


def test_no_secret_is_written_in_compose_yaml():
    """A setting whose name says secret (or a URL with a password) is only ever interpolated from
    the environment; the real files are git-ignored and kept out of the image's build context."""
    for name, service in SERVICES.items():
        for setting, value in _environment(service).items():
            if SECRET_NAME.search(setting) and not setting.endswith("_FILE"):
                assert INTERPOLATION.match(value), f"{name}: {setting} holds a literal"
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{name}: {setting} has a password"
    ignored = (ROOT / "deploy" / ".gitignore").read_text(encoding="utf-8").split()
    assert {"production.env", "secrets/"} <= set(ignored)
    assert compose()["secrets"]["postgres_password"]["file"].startswith("./deploy/secrets/")


def test_the_secret_check_catches_a_literal():
    assert not INTERPOLATION.match("hunter2-but-longer")
    assert INTERPOLATION.match("${SECRET_KEY:?set it}")
    assert SECRET_NAME.search("SECRET_KEY") and SECRET_NAME.search("POSTGRES_PASSWORD")
    assert re.search(r"://[^/@\s]+:[^/@\s]+@", "postgresql://feedback:pw@postgres/feedback")


def test_the_required_site_address_stops_compose_with_a_message_when_unset():
    text = Path(ROOT / "compose.yaml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{SITE_ADDRESS([^}]*)\}", text)
    assert uses and all(use.startswith(":?") and len(use) > 2 for use in uses)


def test_the_readme_deploying_section_names_every_setting_the_files_set():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Deploying\n", 1)[1].split("\n## ", 1)[0]
    example = (ROOT / "deploy" / "production.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^(\w+)=", example, re.M)) | set(_environment(SERVICES["app1"])) | {"SITE_ADDRESS"}
    names -= {"FEEDBACK_ENV"}  # the image's own default, stated in prose
    assert [name for name in sorted(names) if f"`{name}`" not in section] == []
