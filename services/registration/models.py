"""The `registration` schema's declarative base; each domain package holds its own tables."""

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase

from servicekit.db import make_metadata

SCHEMA = "registration"
TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


def load_all_models() -> None:
    """Import every domain's tables so Base.metadata is complete (app, migrations, reset)."""
    from services.registration.accounts import models as _accounts  # noqa: F401
    from services.registration.outbox_relay import models as _outbox_relay  # noqa: F401
    from services.registration.review import models as _review  # noqa: F401
    from services.registration.signup import models as _signup  # noqa: F401
    from services.registration.tokens import models as _tokens  # noqa: F401
