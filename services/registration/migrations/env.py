from servicekit.migrations_env import run
from services.registration.models import SCHEMA, metadata

run(metadata, SCHEMA)
