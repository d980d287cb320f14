"""Every table of the registration schema, for assembly (app, migrations, reset): imported once, so the
metadata is complete. Domains import `Base` from `base.py`, never this module."""

from services.registration.accounts import models as _accounts  # noqa: F401
from services.registration.base import SCHEMA, Base
from services.registration.lifecycle import models as _lifecycle  # noqa: F401
from services.registration.outbox_relay import models as _outbox_relay  # noqa: F401
from services.registration.review import models as _review  # noqa: F401
from services.registration.signup import models as _signup  # noqa: F401
from services.registration.tokens import models as _tokens  # noqa: F401

metadata = Base.metadata

__all__ = ["SCHEMA", "metadata"]
