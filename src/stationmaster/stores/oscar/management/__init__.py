"""Django management commands of the stationmaster app."""
