"""docker-compose.yml, checked without a Docker engine: commands, settings, health and start order."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from servicekit.settings import SERVICES, CommonSettings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
OURS = (*SERVICES, "gateway")
SETTINGS_CLASSES = {
    **{name: f"services.{name}.config:{name.capitalize()}Settings" for name in SERVICES},
    "gateway": "gateway.config:GatewaySettings",
    "migrate": "servicekit.settings:CommonSettings",
}
PORTS = {"registration": 8101, "certification": 8102, "messaging": 8103, "scheduler": 8104, "gateway": 8000}


def load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def environment_names(settings: type[BaseSettings]) -> set[str]:
    """Every variable a settings class reads: its aliases, or env_prefix + field name."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def command_module(command: list[str]) -> str:
    """`python -m uvicorn pkg.mod:app …` → pkg.mod:app; `python -m pkg.mod` → pkg.mod."""
    assert command[:2] == ["python", "-m"], command
    if command[2] == "uvicorn":
        return command[3]
    return command[2]


class TestCommands:
    @pytest.mark.parametrize("name", [*OURS, "migrate"])
    def test_command_target_imports(self, name: str) -> None:
        target = command_module(COMPOSE[name]["command"])

        if ":" in target:
            assert load(target) is not None
        else:
            assert callable(importlib.import_module(target).main)

    @pytest.mark.parametrize("name", OURS)
    def test_listens_on_all_interfaces_on_its_port(self, name: str) -> None:
        command = COMPOSE[name]["command"]
        environment = COMPOSE[name]["environment"]

        assert command[command.index("--host") + 1] == "0.0.0.0"
        assert command[command.index("--port") + 1] == str(PORTS[name])
        assert environment[f"MPSANDBOX_{name.upper()}_HOST"] == "0.0.0.0"
        assert environment[f"MPSANDBOX_{name.upper()}_PORT"] == str(PORTS[name])

    @pytest.mark.parametrize("name", OURS)
    def test_peers_by_service_name(self, name: str) -> None:
        environment = COMPOSE[name]["environment"]

        for peer in SERVICES:
            assert environment[f"MPSANDBOX_{peer.upper()}_URL"] == f"http://{peer}:{PORTS[peer]}"


class TestEnvironment:
    @pytest.mark.parametrize("name", [*OURS, "migrate"])
    def test_every_variable_is_a_real_setting(self, name: str) -> None:
        known = environment_names(CommonSettings) | environment_names(load(SETTINGS_CLASSES[name]))

        unknown = set(COMPOSE[name]["environment"]) - known

        assert not unknown, f"{name}: {sorted(unknown)} are read by no setting"

    def test_messaging_relays_mail_to_mailpit(self) -> None:
        assert COMPOSE["messaging"]["environment"]["MPSANDBOX_SMTP_URL"] == "smtp://mailpit:1025"


class TestHealthAndOrder:
    @pytest.mark.parametrize("name", [*OURS, "postgres", "mailpit"])
    def test_long_running_services_have_a_healthcheck(self, name: str) -> None:
        test = COMPOSE[name]["healthcheck"]["test"]

        assert test
        if name in OURS:
            path = "/healthz" if name == "gateway" else "/readyz"
            assert any(f"127.0.0.1:{PORTS[name]}{path}" in part for part in test), test

    @pytest.mark.parametrize("name", [name for name in COMPOSE if "depends_on" in COMPOSE[name]])
    def test_every_dependency_has_a_condition(self, name: str) -> None:
        depends_on = COMPOSE[name]["depends_on"]

        assert isinstance(depends_on, dict), f"{name}: depends_on must be a mapping with conditions"
        for peer, rule in depends_on.items():
            expected = "service_completed_successfully" if peer == "migrate" else "service_healthy"
            assert rule["condition"] == expected, (name, peer, rule)

    @pytest.mark.parametrize("name", SERVICES)
    def test_services_start_after_migrations(self, name: str) -> None:
        assert COMPOSE[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert COMPOSE["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"

    def test_gateway_waits_for_all_four_services(self) -> None:
        assert set(COMPOSE["gateway"]["depends_on"]) == set(SERVICES)

    def test_start_order_has_no_cycle(self) -> None:
        visiting: set[str] = set()
        done: set[str] = set()

        def visit(name: str) -> None:
            assert name not in visiting, f"dependency cycle through {name}"
            if name in done:
                return
            visiting.add(name)
            for peer in COMPOSE[name].get("depends_on", {}):
                assert peer in COMPOSE, f"{name} depends on unknown service {peer}"
                visit(peer)
            visiting.discard(name)
            done.add(name)

        for name in COMPOSE:
            visit(name)


class TestPublishedPorts:
    def test_only_the_gateway_and_mailpit_ui_are_published(self) -> None:
        published = {name: service["ports"] for name, service in COMPOSE.items() if service.get("ports")}

        assert published == {"gateway": ["8000:8000"], "mailpit": ["8025:8025"]}
