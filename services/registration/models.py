from sqlalchemy.orm import DeclarativeBase

from servicekit.db import make_metadata

SCHEMA = "registration"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)
