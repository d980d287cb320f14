from servicekit.migrations_env import run
from services.certification.models import SCHEMA, metadata

run(metadata, SCHEMA)
