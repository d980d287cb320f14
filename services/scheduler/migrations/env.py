from services.scheduler.models import SCHEMA, Base
from servicekit.migrations_env import run

run(Base.metadata, SCHEMA)
