from servicekit.migrations_env import run
from services.scheduler.models import SCHEMA, metadata

run(metadata, SCHEMA)
