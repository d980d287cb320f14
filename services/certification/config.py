from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from servicekit.identity import DEFAULT_PROTECTED_NAMES
from servicekit.settings import ServiceSettings


class CertificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_CERTIFICATION_", extra="ignore")

    service_name: ClassVar[str] = "certification"
    db_pool_size: int = 12  # the connection budget: see servicekit.settings.ServiceSettings
    protected_names: tuple[str, ...] = DEFAULT_PROTECTED_NAMES  # R-REG-16, for the certified name
