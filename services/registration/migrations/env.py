from servicekit.migrations_env import run
from services.registration.models import SCHEMA, Base

run(Base.metadata, SCHEMA)
