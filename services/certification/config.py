from pydantic_settings import SettingsConfigDict

from servicekit.settings import DEFAULT_PORTS, ServiceSettings


class CertificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_CERTIFICATION_", extra="ignore")

    port: int = DEFAULT_PORTS["certification"]
