"""Every table of the certification schema, for assembly (app, migrations): imported once, so the
metadata is complete."""

from services.certification.applications import models as _applications  # noqa: F401
from services.certification.base import SCHEMA, Base
from services.certification.certifications import models as _certifications  # noqa: F401
from services.certification.notices import models as _notices  # noqa: F401

metadata = Base.metadata

__all__ = ["SCHEMA", "metadata"]
