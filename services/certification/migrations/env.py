from servicekit.migrations_env import run
from services.certification.models import SCHEMA, Base

run(Base.metadata, SCHEMA)
