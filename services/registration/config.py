from pydantic_settings import SettingsConfigDict

from servicekit.settings import DEFAULT_PORTS, ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_REGISTRATION_", extra="ignore")

    port: int = DEFAULT_PORTS["registration"]
