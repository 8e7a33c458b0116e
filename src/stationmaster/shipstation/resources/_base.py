"""What every resource namespace shares: a reference to the client that sends its calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stationmaster.shipstation.client import ShipStationClient


class Resource:
    """Holds the client; namespaces add endpoint methods and nothing else."""

    __slots__ = ("_client",)

    def __init__(self, client: ShipStationClient) -> None:
        self._client = client


def bool_param(value: bool) -> str:
    return "true" if value else "false"
