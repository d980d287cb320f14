"""Gateway settings: the public port, the admin key and where the four services listen."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import CommonSettings


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_GATEWAY_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    # Long enough for a bulk follower seed or a 210-day clock advance; a hung service still ends in 503.
    upstream_timeout_seconds: float = 120.0
    connect_timeout_seconds: float = 3.0
    health_timeout_seconds: float = 2.0
    # Upper bound on how long an introspection answer is reused, whatever ttl registration gives.
    auth_cache_max_seconds: float = 60.0
    auth_cache_size: int = 10_000

    @property
    def port(self) -> int:
        """MPSANDBOX_GATEWAY_PORT: the one port a user chooses; the services' follow it."""
        return self.gateway_port
