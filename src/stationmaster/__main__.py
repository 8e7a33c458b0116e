"""``python -m stationmaster``: the same command as ``stationmaster``."""

from stationmaster.cli import main

main()
