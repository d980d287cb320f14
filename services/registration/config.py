from typing import ClassVar, Self

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.identity import DEFAULT_PROTECTED_NAMES
from servicekit.settings import ServiceSettings, loopback_url


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_REGISTRATION_", extra="ignore")

    service_name: ClassVar[str] = "registration"
    # Base of the activation link in the e-mail: the gateway's public address (empty: the gateway
    # on loopback at MPSANDBOX_GATEWAY_PORT).
    public_base_url: str = ""
    protected_names: tuple[str, ...] = DEFAULT_PROTECTED_NAMES
    # argon2id cost; tests lower these so the suite stays fast (RFC 9106 second recommendation by default).
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    callback_ips: tuple[str, ...] = ("127.0.0.1",)

    @model_validator(mode="after")
    def _public_base_url_is_the_gateway(self) -> Self:
        if not self.public_base_url:
            self.public_base_url = loopback_url(self.gateway_port)
        return self
