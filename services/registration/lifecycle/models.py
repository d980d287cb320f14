"""Lifecycle facts waiting to be relayed to the scheduler (`contracts.scheduler.relay`)."""

from contracts.scheduler.relay import LifecycleFactColumns
from services.registration.base import Base


class LifecycleFact(LifecycleFactColumns, Base):
    """A sign-up, activation, approval, login, termination or contact change, written with the change
    and relayed to the scheduler's deregistration schedule after commit (SPEC §6.2)."""
