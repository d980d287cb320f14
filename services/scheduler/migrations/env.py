from servicekit.migrations_env import run
from services.scheduler.models import SCHEMA, Base

run(Base.metadata, SCHEMA)
