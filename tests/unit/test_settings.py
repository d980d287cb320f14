"""Ports and peer URLs: one gateway port decides them all unless a service's own is set (SPEC §1.1)."""

from __future__ import annotations

import os

import pytest

from gateway.config import GatewaySettings
from servicekit.settings import SERVICES, ServiceSettings, default_ports
from services.certification.config import CertificationSettings
from services.messaging.config import MessagingSettings
from services.registration.config import RegistrationSettings
from services.scheduler.config import SchedulerSettings

SETTINGS: dict[str, type[ServiceSettings]] = {
    "registration": RegistrationSettings,
    "certification": CertificationSettings,
    "messaging": MessagingSettings,
    "scheduler": SchedulerSettings,
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MPSANDBOX_"):
            monkeypatch.delenv(name)


class TestDefaultPorts:
    def test_the_usual_ports_for_8000(self) -> None:
        assert default_ports() == {
            "gateway": 8000, "registration": 8101, "certification": 8102,
            "messaging": 8103, "scheduler": 8104,
        }  # fmt: skip

    def test_services_follow_another_gateway_port(self) -> None:
        assert default_ports(9000) == {
            "gateway": 9000, "registration": 9101, "certification": 9102,
            "messaging": 9103, "scheduler": 9104,
        }  # fmt: skip


class TestServicePorts:
    @pytest.mark.parametrize("name", SERVICES)
    def test_unset_port_is_the_gateway_port_plus_the_offset(
        self, monkeypatch: pytest.MonkeyPatch, name: str
    ) -> None:
        monkeypatch.setenv("MPSANDBOX_GATEWAY_PORT", "9000")

        assert SETTINGS[name]().port == default_ports(9000)[name]

    @pytest.mark.parametrize("name", SERVICES)
    def test_nothing_set_keeps_8101_to_8104(self, name: str) -> None:
        assert SETTINGS[name]().port == default_ports()[name]

    def test_an_explicit_port_wins_and_peers_see_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MPSANDBOX_GATEWAY_PORT", "9000")
        monkeypatch.setenv("MPSANDBOX_MESSAGING_PORT", "7777")

        assert MessagingSettings().port == 7777
        assert RegistrationSettings().messaging_url == "http://127.0.0.1:7777"
        assert RegistrationSettings().port == 9101

    def test_an_argument_wins_over_the_derivation(self) -> None:
        assert SchedulerSettings(port=1234).port == 1234


class TestPeerUrls:
    def test_follow_the_gateway_port(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MPSANDBOX_GATEWAY_PORT", "9000")

        assert GatewaySettings().peer_urls() == {
            name: f"http://127.0.0.1:{port}" for name, port in default_ports(9000).items() if name in SERVICES
        }
        assert GatewaySettings().port == 9000

    def test_an_explicit_url_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MPSANDBOX_GATEWAY_PORT", "9000")
        monkeypatch.setenv("MPSANDBOX_SCHEDULER_URL", "http://scheduler:8104")

        urls = MessagingSettings().peer_urls()

        assert urls["scheduler"] == "http://scheduler:8104"
        assert urls["registration"] == "http://127.0.0.1:9101"

    def test_arguments_are_kept(self) -> None:
        settings = GatewaySettings(registration_url="http://127.0.0.1:1")

        assert settings.peer_urls()["registration"] == "http://127.0.0.1:1"
        assert settings.peer_urls()["messaging"] == "http://127.0.0.1:8103"


class TestActivationLinkBase:
    def test_is_the_gateway_on_its_port(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MPSANDBOX_GATEWAY_PORT", "9000")

        assert RegistrationSettings().public_base_url == "http://127.0.0.1:9000"

    def test_explicit_base_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MPSANDBOX_REGISTRATION_PUBLIC_BASE_URL", "https://sandbox.example.gov.cn")

        assert RegistrationSettings().public_base_url == "https://sandbox.example.gov.cn"
