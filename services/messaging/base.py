"""The declarative base of the messaging schema; every domain's models.py builds on it."""

from sqlalchemy.orm import DeclarativeBase

from servicekit.db import make_metadata

SCHEMA = "messaging"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)
