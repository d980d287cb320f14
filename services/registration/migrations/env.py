from servicekit.migrations_env import run
from services.registration.models import SCHEMA, Base, load_all_models

load_all_models()
run(Base.metadata, SCHEMA)
