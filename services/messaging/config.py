from pydantic_settings import SettingsConfigDict

from servicekit.settings import DEFAULT_PORTS, ServiceSettings


class MessagingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_MESSAGING_", extra="ignore")

    port: int = DEFAULT_PORTS["messaging"]
