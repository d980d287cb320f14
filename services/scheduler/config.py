from pydantic_settings import SettingsConfigDict

from servicekit.settings import DEFAULT_PORTS, ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_SCHEDULER_", extra="ignore")

    port: int = DEFAULT_PORTS["scheduler"]
