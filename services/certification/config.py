from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class CertificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_CERTIFICATION_", extra="ignore")

    service_name: ClassVar[str] = "certification"
