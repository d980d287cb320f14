from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_SCHEDULER_", extra="ignore")

    service_name: ClassVar[str] = "scheduler"
    db_pool_size: int = 15  # the connection budget: see servicekit.settings.ServiceSettings
    # R-CLK-03: at least every minute while the real clock runs.
    sweep_interval_seconds: float = 30.0
    sweep_enabled: bool = True
    # R-DER-06: a sweep owns the clock one turn at a time (a peer's hook, one batch) and lets an
    # advance in between; it gives up (the next sweep resumes) after this long of advances.
    sweep_patience_seconds: float = 10.0
    # Accounts per batch of deregistration work, each batch its own transaction (None: 500).
    deregistration_batch: int | None = Field(default=None, ge=1)
    # Clock hooks and resets may do bulk work (a million followers, thousands of accounts).
    hook_timeout_seconds: float = 60.0
    # R-CLK-01: an advance waits this long for another advance (or a sweep) of its namespace to
    # finish, then is refused with 409 clock_busy.
    clock_wait_seconds: float = 30.0
