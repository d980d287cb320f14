"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("registration", "certification", "messaging", "scheduler")
DEFAULT_GATEWAY_PORT = 8000
# A service listens on the gateway's port plus its offset unless its own port is set, so a second
# sandbox needs one variable (MPSANDBOX_GATEWAY_PORT=9000 → 9101…9104), not five.
PORT_OFFSETS = {"registration": 101, "certification": 102, "messaging": 103, "scheduler": 104}


def default_ports(gateway_port: int = DEFAULT_GATEWAY_PORT) -> dict[str, int]:
    """Every process's port when only the gateway's is chosen: {"gateway": 8000, "registration": 8101, …}."""
    return {"gateway": gateway_port, **{name: gateway_port + PORT_OFFSETS[name] for name in SERVICES}}


def loopback_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _port(name: str) -> Any:
    # 0 means "not set": derived from the gateway port after validation.
    return Field(default=0, ge=0, le=65535, validation_alias=AliasChoices(f"MPSANDBOX_{name.upper()}_PORT"))


def _url(name: str) -> Any:
    # Empty means "not set": http://127.0.0.1:<that service's port> after validation.
    return Field(default="", validation_alias=AliasChoices(f"MPSANDBOX_{name.upper()}_URL"))


class CommonSettings(BaseSettings):
    """Settings every process reads; names are fixed by SPEC §1.1."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    data_dir: Path = Field(default=Path(".mpsandbox"), validation_alias=AliasChoices("MPSANDBOX_DATA_DIR"))
    admin_key: str | None = Field(default=None, validation_alias=AliasChoices("MPSANDBOX_ADMIN_KEY"))
    review_policy: str = Field(
        default="at_deadline", validation_alias=AliasChoices("MPSANDBOX_REVIEW_POLICY")
    )
    smtp_url: str | None = Field(default=None, validation_alias=AliasChoices("MPSANDBOX_SMTP_URL"))
    log_level: str = Field(default="info", validation_alias=AliasChoices("MPSANDBOX_LOG_LEVEL"))
    gateway_port: int = Field(
        default=DEFAULT_GATEWAY_PORT, ge=1, le=65535, validation_alias=AliasChoices("MPSANDBOX_GATEWAY_PORT")
    )
    registration_port: int = _port("registration")
    certification_port: int = _port("certification")
    messaging_port: int = _port("messaging")
    scheduler_port: int = _port("scheduler")
    registration_url: str = _url("registration")
    certification_url: str = _url("certification")
    messaging_url: str = _url("messaging")
    scheduler_url: str = _url("scheduler")
    peer_timeout_seconds: float = Field(
        default=10.0, validation_alias=AliasChoices("MPSANDBOX_PEER_TIMEOUT_SECONDS")
    )

    @model_validator(mode="after")
    def _derive_ports_and_urls(self) -> Self:
        """Unset service ports follow the gateway port; unset peer URLs follow the service ports."""
        derived = default_ports(self.gateway_port)
        for name in SERVICES:
            port = getattr(self, f"{name}_port") or derived[name]
            setattr(self, f"{name}_port", port)
            if not getattr(self, f"{name}_url"):
                setattr(self, f"{name}_url", loopback_url(port))
        return self

    def ports(self) -> dict[str, int]:
        """Where each process listens (the gateway and the four services)."""
        return {"gateway": self.gateway_port, **{name: getattr(self, f"{name}_port") for name in SERVICES}}

    def peer_urls(self) -> dict[str, str]:
        return {
            "registration": self.registration_url,
            "certification": self.certification_url,
            "messaging": self.messaging_url,
            "scheduler": self.scheduler_url,
        }


class ServiceSettings(CommonSettings):
    """A service process: its own host/port under its own prefix (MPSANDBOX_<SERVICE>_PORT).

    `port` defaults to the gateway port plus the service's offset (`PORT_OFFSETS`).
    """

    service_name: ClassVar[str]

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    # The most connections a service's engine holds (servicekit.db.make_engine). All processes together
    # must stay under PostgreSQL's max_connections (100 by default, 3 reserved): registration 20,
    # certification 12, messaging 20 (+10 hot reads, +1 LISTEN), scheduler 15 = 78, leaving room for
    # psql, migrations and tests. A full server is waited for briefly, then 503, never a 500.
    db_pool_size: int = 20

    @model_validator(mode="after")
    def _own_port(self) -> Self:
        """Runs after `CommonSettings._derive_ports_and_urls`, so `<service>_port` is already set."""
        self.port = self.port or getattr(self, f"{self.service_name}_port")
        return self

    @property
    def async_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError("DATABASE_URL is not set: start the sandbox with `mpsandbox up`")
        return to_asyncpg_url(self.database_url)


def to_asyncpg_url(url: str) -> str:
    """postgresql://… → postgresql+asyncpg://… (pgserver hands out libpq URLs)."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url
