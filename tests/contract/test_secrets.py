"""Credentials never show: not in reprs, exceptions, audit exchanges or log output."""

from __future__ import annotations

import base64
import logging

import pytest
import structlog

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.errors import AuthenticationError, ServerError
from stationmaster.shipstation import Credentials, Exchange, RetryPolicy
from stationmaster.testing.plugin import make_client

pytestmark = pytest.mark.anyio

KEY, SECRET = "key-5f2a91c7", "secret-d81e44b0"
BASIC = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def leaks(text: str) -> bool:
    return SECRET in text or BASIC in text or KEY in text


async def test_no_secret_in_reprs_errors_exchanges_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emu = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET))
    exchanges: list[Exchange] = []
    credentials = Credentials(KEY, SECRET)
    structlog.configure(logger_factory=structlog.stdlib.LoggerFactory())
    caplog.set_level(logging.DEBUG)
    try:
        async with make_client(
            emu,
            credentials=credentials,
            observer=exchanges.append,
            retry=RetryPolicy(attempts=2, wait_initial=0, wait_jitter=0),
        ) as client:
            await client.stores.list()
            emu.inject("500", count=2)
            with pytest.raises(ServerError) as server_error:
                await client.stores.list()
            async with make_client(emu, credentials=Credentials(KEY, "wrong-secret")) as bad:
                with pytest.raises(AuthenticationError) as auth_error:
                    await bad.stores.list()
            texts = [
                repr(client),
                str(client),
                repr(credentials),
                repr(emu.config),
                str(server_error.value),
                repr(server_error.value),
                str(auth_error.value),
                caplog.text,
            ]
            texts += [repr(e) for e in exchanges]
            texts += [repr(call) for call in emu.calls]
    finally:
        structlog.reset_defaults()
    assert len(exchanges) == 3
    assert exchanges[0].status == 200 and exchanges[1].status == 500
    for text in texts:
        assert not leaks(text), text
    assert credentials.key_id in repr(credentials)


@pytest.mark.parametrize(("key", "secret"), [("", "s"), ("k", ""), ("a:b", "s"), ("k", "   ")])
def test_bad_credentials_are_refused_up_front(key: str, secret: str) -> None:
    with pytest.raises(ValueError, match="ShipStation api"):
        Credentials(key, secret)
