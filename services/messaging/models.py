"""Every table of the messaging schema, for assembly (app, migrations, reset): imported once, so the
metadata is complete. Domains import `Base` from `base.py`, never this module."""

from services.messaging.base import SCHEMA, Base
from services.messaging.followers import models as _followers  # noqa: F401
from services.messaging.mass import models as _mass  # noqa: F401
from services.messaging.materials import models as _materials  # noqa: F401
from services.messaging.menus import models as _menus  # noqa: F401
from services.messaging.outbox import models as _outbox  # noqa: F401

metadata = Base.metadata

__all__ = ["SCHEMA", "metadata"]
