"""The declarative base of the registration schema; every domain's models.py builds on it."""

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase

from servicekit.db import make_metadata

SCHEMA = "registration"
TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)
