"""Oscar's order models, unchanged."""

from oscar.apps.order.models import *  # noqa: F403
