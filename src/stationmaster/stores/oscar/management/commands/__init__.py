"""``python manage.py stationmaster``."""
