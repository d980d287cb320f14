from servicekit import clock
from servicekit.migrations_env import run

run(clock.metadata, clock.SCHEMA)
