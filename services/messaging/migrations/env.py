from servicekit.migrations_env import run
from services.messaging.models import SCHEMA, metadata

run(metadata, SCHEMA)
