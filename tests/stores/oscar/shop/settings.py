"""Django settings of the test shop: Oscar's apps, the stationmaster app, a SQLite file.

The database file comes from ``STATIONMASTER_OSCAR_TEST_DB`` (the test session's temporary
directory). Oscar's order app is forked (``shop.order``) only to give the shop an
``EventHandler`` of its own, as real shops do, so the tests can see the shop's rules run.
"""

import os

from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403

OUR_APP_LABEL = "stationmaster_oscar"

SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "tests.stores.oscar.shop.order.apps.OrderConfig"
    if app == "oscar.apps.order.apps.OrderConfig"
    else app
    for app in OSCAR_APPS
] + ["stationmaster.stores.oscar"]
SITE_ID = 1
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.stores.oscar.shop.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["STATIONMASTER_OSCAR_TEST_DB"],
        # A test database: durability is not needed, speed is (every commit would fsync).
        "OPTIONS": {"timeout": 20, "init_command": "PRAGMA synchronous=OFF"},
    }
}
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OSCAR_DEFAULT_CURRENCY = "USD"
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Partially shipped", "Shipped", "Cancelled"),
    "Being processed": ("Partially shipped", "Shipped", "Cancelled", "Pending"),
    "Partially shipped": ("Shipped", "Being processed", "Pending"),
    "Shipped": ("Partially shipped", "Being processed", "Pending"),
    "Cancelled": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE
OSCAR_ORDER_STATUS_CASCADE = {
    "Being processed": "Being processed",
    "Shipped": "Shipped",
    "Cancelled": "Cancelled",
}


class _EveryAppButOurs(dict[str, None]):
    """``MIGRATION_MODULES`` saying "no migrations" for every app except stationmaster's.

    The other apps' tables are created straight from their models (``migrate --run-syncdb``,
    under a second) instead of through Oscar's long migration history (about 17 s); the
    stationmaster app keeps its migration, so the file it ships is what the tests run.
    """

    def __contains__(self, label: object) -> bool:
        return label != OUR_APP_LABEL

    def __getitem__(self, label: str) -> None:
        return None


MIGRATION_MODULES = _EveryAppButOurs()
