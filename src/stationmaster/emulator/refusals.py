"""The two ways an emulator operation says no, whoever called it (an endpoint or Python).

Endpoints turn :class:`Refused` into ShipStation's validation failure and :class:`Missing`
into a 404; the Python API lets them propagate (they are a ``ValueError`` and a ``KeyError``).
"""

from __future__ import annotations


class Refused(ValueError):
    """ShipStation would refuse this: a required field, an unknown code, a wrong state."""


class Missing(KeyError):
    """The id names nothing (or something deleted or merged away)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"
