"""Every table of the scheduler schema, for assembly (app, migrations, reset): imported once, so the
metadata is complete (the clocks themselves live in the sandbox schema)."""

from services.scheduler.base import SCHEMA, Base
from services.scheduler.deregistration import models as _deregistration  # noqa: F401

metadata = Base.metadata

__all__ = ["SCHEMA", "metadata"]
