"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTS = {
    "gateway": 8000,
    "registration": 8101,
    "certification": 8102,
    "messaging": 8103,
    "scheduler": 8104,
}
SERVICES = ("registration", "certification", "messaging", "scheduler")


def _peer(name: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}"


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
    registration_url: str = Field(
        default=_peer("registration"), validation_alias=AliasChoices("MPSANDBOX_REGISTRATION_URL")
    )
    certification_url: str = Field(
        default=_peer("certification"), validation_alias=AliasChoices("MPSANDBOX_CERTIFICATION_URL")
    )
    messaging_url: str = Field(
        default=_peer("messaging"), validation_alias=AliasChoices("MPSANDBOX_MESSAGING_URL")
    )
    scheduler_url: str = Field(
        default=_peer("scheduler"), validation_alias=AliasChoices("MPSANDBOX_SCHEDULER_URL")
    )
    peer_timeout_seconds: float = Field(
        default=10.0, validation_alias=AliasChoices("MPSANDBOX_PEER_TIMEOUT_SECONDS")
    )

    def peer_urls(self) -> dict[str, str]:
        return {
            "registration": self.registration_url,
            "certification": self.certification_url,
            "messaging": self.messaging_url,
            "scheduler": self.scheduler_url,
        }


class ServiceSettings(CommonSettings):
    """A service process: its own host/port under its own prefix (MPSANDBOX_<SERVICE>_PORT)."""

    host: str = "127.0.0.1"
    port: int = 0
    db_pool_size: int = 20  # the most connections a service holds (servicekit.db.make_engine)

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
