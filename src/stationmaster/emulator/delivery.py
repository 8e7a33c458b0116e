"""Sending queued webhook deliveries: attempts, timeout, duplicates and drops from the config.

ShipStation documents none of this (§11.2), so each is a switch: ``webhook_attempts`` (retry a
non-2xx answer or a network error), ``webhook_timeout_seconds``, ``webhook_duplicate_rate`` and
``webhook_drop_rate`` (drawn from a seeded random generator, so runs repeat).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import anyio
import httpx2
from pydantic import JsonValue

from stationmaster.emulator.config import EmulatorConfig
from stationmaster.emulator.state import Delivery

Outcome = Literal["delivered", "failed", "dropped"]


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one webhook POST."""

    delivery_id: int
    webhook_id: int
    target_url: str
    payload: dict[str, str]
    outcome: Outcome
    #: The receiver's last answer status; ``None`` when none came (dropped, network error).
    status: int | None
    attempts: int
    #: This POST is the extra copy of a duplicated delivery.
    duplicate: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "delivery_id": self.delivery_id,
            "webhook_id": self.webhook_id,
            "target_url": self.target_url,
            "payload": dict(self.payload),
            "outcome": self.outcome,
            "status": self.status,
            "attempts": self.attempts,
            "duplicate": self.duplicate,
            "error": self.error,
        }


async def _post(
    client: httpx2.AsyncClient, delivery: Delivery, config: EmulatorConfig, duplicate: bool
) -> DeliveryResult:
    status: int | None = None
    error: str | None = None
    attempts = 0
    for attempt in range(1, config.webhook_attempts + 1):
        attempts = attempt
        try:
            response = await client.post(delivery.target_url, json=delivery.payload())
        except httpx2.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
        else:
            status, error = response.status_code, None
            if response.is_success:
                break
            error = f"receiver answered {status}"
        if attempt < config.webhook_attempts and config.webhook_retry_wait_seconds:
            await anyio.sleep(config.webhook_retry_wait_seconds)
    outcome: Outcome = "delivered" if error is None else "failed"
    return DeliveryResult(
        delivery.id,
        delivery.webhook_id,
        delivery.target_url,
        delivery.payload(),
        outcome,
        status,
        attempts,
        duplicate,
        error,
    )


async def send(
    deliveries: Sequence[Delivery],
    config: EmulatorConfig,
    rng: random.Random,
    transport: httpx2.AsyncBaseTransport | None,
) -> list[DeliveryResult]:
    """POST each delivery to its subscriber, in queue order."""
    results: list[DeliveryResult] = []
    if not deliveries:
        return results
    headers = {"User-Agent": "ShipStation-Emulator-Webhooks/1.0"}
    async with httpx2.AsyncClient(
        transport=transport, timeout=config.webhook_timeout_seconds, headers=headers
    ) as client:
        for delivery in deliveries:
            if config.webhook_drop_rate and rng.random() < config.webhook_drop_rate:
                results.append(
                    DeliveryResult(
                        delivery.id,
                        delivery.webhook_id,
                        delivery.target_url,
                        delivery.payload(),
                        "dropped",
                        None,
                        0,
                    )
                )
                continue
            copies = (
                2
                if config.webhook_duplicate_rate and rng.random() < config.webhook_duplicate_rate
                else 1
            )
            for copy in range(copies):
                results.append(await _post(client, delivery, config, duplicate=copy > 0))
    return results
