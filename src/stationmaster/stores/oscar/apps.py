"""The Django app configuration the shop installs: its label and the change-log receivers."""

from __future__ import annotations

from django.apps import AppConfig


class StationmasterOscarConfig(AppConfig):
    """``stationmaster.stores.oscar`` in ``INSTALLED_APPS``; connects the change receivers."""

    name = "stationmaster.stores.oscar"
    label = "stationmaster_oscar"
    verbose_name = "stationmaster (ShipStation sync)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from stationmaster.stores.oscar.signals import connect

        connect()
