"""Every table of the scheduler schema, for assembly (app, migrations): imported once, so the metadata
is complete. The scheduler keeps no tables of its own yet (the clocks live in the sandbox schema);
deregistration's will be imported here."""

from services.scheduler.base import SCHEMA, Base

metadata = Base.metadata

__all__ = ["SCHEMA", "metadata"]
