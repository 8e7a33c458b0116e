"""Every shared ShipStation sample parses into its model and dumps back without losing anything.

One test per file on disk: a new sample without a model in ``SAMPLE_MODELS`` fails, and so
does a missing shared folder (no silent skip).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from stationmaster.shipstation.models import WireModel, to_wire
from tests.shipstation.samples import (
    SAMPLE_DIRS,
    SAMPLE_MODELS,
    SHARED,
    sample,
    sample_files,
    sample_path,
)

# Keys whose "" in a response means "not given" (bool/list fields): they come back as null.
BLANK_MEANS_NULL = frozenset({"residential", "statusMappings"})

# Fields seen in some accounts' warehouses only, with no known type: kept as extras on purpose.
UNTYPED_EXTRAS = frozenset({"extInventoryIdentity", "registerFedexMeter", "sellerIntegrationId"})

_WALL = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?", re.ASCII)
# store_refreshstatus.json answers its dates as M-d-yyyy; they come back as v1 midnights.
_US_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})", re.ASCII)

_MISSING = "<no sample files found: is the shared folder there?>"
NAMES = [path.name for path in sample_files()] or [_MISSING]


def _wall(text: str) -> tuple[str, str] | None:
    """A v1 wall time as (date and time, seven fraction digits), or None if it is not one."""
    if match := _WALL.fullmatch(text):
        day, clock, fraction = match.groups()
        return f"{day}T{clock}", (fraction or "").ljust(7, "0")
    if match := _US_DATE.fullmatch(text):
        month, day_of_month, year = (int(part) for part in match.groups())
        return f"{year:04d}-{month:02d}-{day_of_month:02d}T00:00:00", "0000000"
    return None


def assert_same(original: Any, dumped: Any, path: str = "$") -> None:
    """``dumped`` has every key of ``original`` and equal values, recursively."""
    if isinstance(original, dict):
        assert isinstance(dumped, dict), f"{path}: object became {dumped!r}"
        assert set(dumped) == set(original), (
            f"{path}: lost {sorted(set(original) - set(dumped))}, "
            f"added {sorted(set(dumped) - set(original))}"
        )
        for key, value in original.items():
            assert_same(value, dumped[key], f"{path}.{key}")
    elif isinstance(original, list):
        assert isinstance(dumped, list), f"{path}: array became {dumped!r}"
        assert len(dumped) == len(original), (
            f"{path}: {len(original)} elements became {len(dumped)}"
        )
        for index, (left, right) in enumerate(zip(original, dumped, strict=True)):
            assert_same(left, right, f"{path}[{index}]")
    elif original is None or isinstance(original, bool):
        assert dumped is original, f"{path}: {original!r} became {dumped!r}"
    elif isinstance(original, int | float):
        assert isinstance(dumped, int | float), f"{path}: {original} became {dumped!r}"
        assert not isinstance(dumped, bool), f"{path}: {original} became {dumped!r}"
        assert Decimal(str(dumped)) == Decimal(str(original)), f"{path}: {original} -> {dumped}"
    elif isinstance(original, str):
        key = path.rsplit(".", 1)[-1]
        if original == "" and dumped is None and key in BLANK_MEANS_NULL:
            return
        if dumped == original:
            return
        assert isinstance(dumped, str), f"{path}: {original!r} became {dumped!r}"
        wall = _wall(original)
        assert wall is not None, f"{path}: {original!r} became {dumped!r}"
        assert wall == _wall(dumped), f"{path}: {original!r} -> {dumped!r}"
    else:
        pytest.fail(f"{path}: unexpected JSON value {original!r}")


def extras(value: object) -> set[str]:
    """Names of every field a parsed value keeps as an extra, at any depth."""
    found: set[str] = set()
    if isinstance(value, BaseModel):
        found |= set(value.model_extra or {})
        for name in type(value).model_fields:
            found |= extras(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            found |= extras(item)
    return found


def test_shared_samples_are_there() -> None:
    for folder in SAMPLE_DIRS:
        assert folder.is_dir(), f"missing {folder} (expected the shared folder at {SHARED})"
    assert sample_files(), f"no JSON samples under {SHARED}"


def test_every_mapped_sample_exists() -> None:
    for name in SAMPLE_MODELS:
        assert sample_path(name).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_sample_parses_and_round_trips(name: str) -> None:
    assert name != _MISSING, f"no samples found under {SHARED}"
    model = SAMPLE_MODELS.get(name)
    assert model is not None, f"{name} has no model: add it to SAMPLE_MODELS in samples.py"
    assert issubclass(model, BaseModel)
    original = sample(name)

    parsed = model.model_validate_json(sample_path(name).read_bytes())
    dumped = json.loads(parsed.model_dump_json(by_alias=True, exclude_unset=True))

    assert_same(original, dumped)
    assert model.model_validate(original) == parsed, "parsing a dict and JSON text must agree"
    assert extras(parsed) <= UNTYPED_EXTRAS, "a sample field is not declared on its model"
    if isinstance(parsed, WireModel):
        assert to_wire(parsed) == dumped
