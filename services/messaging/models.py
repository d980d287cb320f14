from sqlalchemy.orm import DeclarativeBase

from servicekit.db import make_metadata

SCHEMA = "messaging"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


def load_all_models() -> None:
    """Import every part's tables so Base.metadata is complete (app, migrations, reset)."""
    from services.messaging.followers import models as _followers  # noqa: F401
    from services.messaging.mass import models as _mass  # noqa: F401
    from services.messaging.materials import models as _materials  # noqa: F401
    from services.messaging.menus import models as _menus  # noqa: F401
    from services.messaging.outbox import models as _outbox  # noqa: F401
