"""Carrier endpoints: list, getcarrier, listpackages, listservices, addfunds (§8)."""

from __future__ import annotations

from decimal import Decimal

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.checks import missing, read_body
from stationmaster.emulator.replies import Reply, invalid_field, not_found, ok, validation_failure
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import ADD_FUNDS
from stationmaster.emulator.state import clone
from stationmaster.emulator.wire import Wire, cents, money

MIN_FUNDS = Decimal(10)
MAX_FUNDS = Decimal(10_000)


def _carrier(backend: Backend, request: ApiRequest) -> Wire:
    code = request.query.text("carrierCode")
    if code is None:
        raise invalid_field("carrierCode", "carrierCode is required.")
    carrier = backend.account.carriers.get(code)
    if carrier is None:
        raise not_found(backend.config)
    return carrier


def list_carriers(backend: Backend, request: ApiRequest) -> Reply:
    return ok(list(backend.account.carriers.values()))


def get_carrier(backend: Backend, request: ApiRequest) -> Reply:
    return ok(_carrier(backend, request))


def list_packages(backend: Backend, request: ApiRequest) -> Reply:
    carrier = _carrier(backend, request)
    return ok(list(backend.account.packages[carrier["code"]]))


def list_services(backend: Backend, request: ApiRequest) -> Reply:
    carrier = _carrier(backend, request)
    return ok(list(backend.account.services[carrier["code"]]))


def add_funds(backend: Backend, request: ApiRequest) -> Reply:
    config = backend.config
    values = read_body(request.body, ADD_FUNDS, config.filter_offset_mode)
    absent = missing(values, "carrierCode", "amount")
    if absent:
        raise validation_failure(config, f"Required: {', '.join(absent)}.")
    carrier = backend.account.carriers.get(values["carrierCode"])
    if carrier is None:
        raise validation_failure(config, f"Unknown carrier '{values['carrierCode']}'.")
    if not carrier["requiresFundedAccount"]:
        raise validation_failure(config, f"Carrier '{carrier['code']}' does not take funds.")
    amount = money(values["amount"])
    if not MIN_FUNDS <= amount <= MAX_FUNDS:
        raise validation_failure(config, "The amount must be between $10 and $10,000.")
    row = clone(carrier)
    row["balance"] = cents(money(row["balance"]) + amount)
    backend.account.carriers[carrier["code"]] = row
    keys = ("name", "code", "accountNumber", "requiresFundedAccount", "balance")
    return ok({key: row[key] for key in keys})
