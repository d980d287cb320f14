from services.certification.models import SCHEMA, Base
from servicekit.migrations_env import run

run(Base.metadata, SCHEMA)
