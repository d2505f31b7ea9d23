"""Allow `python -m site_gen`."""

from site_gen.cli import run

run()
