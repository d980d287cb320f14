"""`python -m mpsandbox …` — the same command line as the `mpsandbox` script."""

from mpsandbox.cli import app

app(prog_name="mpsandbox")
