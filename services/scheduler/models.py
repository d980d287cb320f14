from sqlalchemy.orm import DeclarativeBase

from servicekit.db import make_metadata

SCHEMA = "scheduler"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)
