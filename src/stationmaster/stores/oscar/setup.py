"""Making sure Django runs the shop's settings before the connector touches Oscar.

The connector runs either inside the shop's own process (``python manage.py stationmaster``,
Django already set up) or in stationmaster's process, which sets Django up from a settings
module: the connection's ``settings_module`` setting, ``--django-settings``, or
``DJANGO_SETTINGS_MODULE``. Whatever is missing is one :class:`DjangoNotReady` saying what to do.
"""

from __future__ import annotations

import importlib.util
import os

from stationmaster.stores.oscar.errors import DjangoNotReady

APP = "stationmaster.stores.oscar"
_ENV = "DJANGO_SETTINGS_MODULE"


def _require_packages() -> None:
    missing = [name for name in ("django", "oscar") if importlib.util.find_spec(name) is None]
    if missing:
        raise DjangoNotReady(
            f"the oscar store needs {' and '.join(missing)}, which is not installed: "
            "install stationmaster with its extra, pip install 'stationmaster[oscar]'"
        )


def configure(settings_module: str) -> None:
    """Set ``DJANGO_SETTINGS_MODULE`` to ``settings_module`` and run ``django.setup()``.

    Calling it again with the same module does nothing; Django already set up with another
    module, a module that cannot be imported or settings Django rejects are
    :class:`DjangoNotReady` (and leave the environment as it was).
    """
    _require_packages()
    import django
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready:
        current = os.environ.get(_ENV)
        if current not in (None, settings_module):
            raise DjangoNotReady(
                f"Django is already set up with settings {current!r}; one process runs one "
                f"shop, so it cannot switch to {settings_module!r}"
            )
        return
    before = os.environ.get(_ENV)
    os.environ[_ENV] = settings_module
    try:
        django.setup()
    except ImportError as exc:
        _restore(before)
        raise DjangoNotReady(
            f"Django settings module {settings_module!r} cannot be imported: {exc}"
        ) from None
    except ImproperlyConfigured as exc:
        _restore(before)
        raise DjangoNotReady(f"Django settings {settings_module!r} are not usable: {exc}") from None


def _restore(value: str | None) -> None:
    if value is None:
        os.environ.pop(_ENV, None)
    else:
        os.environ[_ENV] = value


def require_django(settings_module: str | None = None) -> None:
    """Django set up (from ``settings_module`` or the environment) with this app installed."""
    _require_packages()
    from django.apps import apps

    if not apps.ready:
        module = settings_module or os.environ.get(_ENV)
        if not module:
            raise DjangoNotReady(
                "Django is not configured: set the oscar store's settings_module (such as "
                "'shop.settings') in stationmaster.toml, pass --django-settings, set "
                f"{_ENV}, or run stationmaster through the shop: python manage.py stationmaster"
            )
        configure(module)
    if not apps.is_installed(APP):
        raise DjangoNotReady(
            f"the shop does not install the stationmaster app: add {APP!r} to INSTALLED_APPS "
            "and run python manage.py migrate"
        )
