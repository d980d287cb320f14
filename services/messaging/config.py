from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_MESSAGING_", extra="ignore")

    service_name: ClassVar[str] = "messaging"
