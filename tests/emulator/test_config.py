"""EmulatorConfig: typed, frozen, sensible defaults, and no secrets in its repr."""

from __future__ import annotations

import pydantic
import pytest

from stationmaster.emulator import EmulatorConfig, FaultSpec


def test_defaults_follow_the_reference_table() -> None:
    config = EmulatorConfig()
    assert (config.limit, config.window_seconds) == (40, 60.0)
    assert config.rate_limit_body == {"message": "Too Many Requests"}
    assert config.unauthorized_body == {
        "Message": "Authorization has been denied for this request."
    }
    assert config.not_found_body == {"message": "Not Found"}
    assert config.validation_status == 500
    assert (config.default_page_size, config.max_page_size, config.max_page_size_mode) == (
        100,
        500,
        "clamp",
    )
    assert (config.filter_offset_mode, config.filter_bounds) == ("ignore", "documented")
    assert (config.createorders_max, config.createorders_over_limit_status) == (100, 400)
    assert config.failed_result_order_id == 0
    assert (config.locked_update, config.createorder_to_shipped) == ("noop", "allow")
    assert (config.order_key_scope, config.deleted_key_repost) == ("account", "revive")
    assert config.order_notify_on_api_create is True
    assert config.webhook_subscribe_response == "id"
    assert (config.webhook_attempts, config.webhook_timeout_seconds) == (1, 10.0)
    assert (config.webhook_duplicate_rate, config.webhook_drop_rate) == (0.0, 0.0)
    assert config.split_child_key == "suffix"
    assert config.count_401_429 is False


def test_secrets_never_in_repr_or_public_dict() -> None:
    config = EmulatorConfig(
        api_key="key-XYZ", api_secret="secret-XYZ", extra_key_pairs=(("k2-XYZ", "s2-XYZ"),)
    )
    for text in (repr(config), str(config), str(config.public_dict())):
        assert "XYZ" not in text
    assert config.api_key == "key-XYZ"


def test_frozen_and_strict() -> None:
    config = EmulatorConfig()
    with pytest.raises(pydantic.ValidationError):
        config.limit = 5  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        EmulatorConfig(no_such_switch=True)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        EmulatorConfig(locked_update="explode")
    with pytest.raises(pydantic.ValidationError):
        EmulatorConfig(base_url="ftp://x")


def test_limit_off_means_none() -> None:
    assert EmulatorConfig(limit="off").limit is None
    assert EmulatorConfig(limit=None).limit is None


def test_faults_in_config_are_checked() -> None:
    with pytest.raises(pydantic.ValidationError, match="seconds"):
        EmulatorConfig(faults=(FaultSpec(kind="delay"),))
    config = EmulatorConfig(faults=(FaultSpec(kind=500, count=2),))
    assert config.faults[0].kind == "500"
