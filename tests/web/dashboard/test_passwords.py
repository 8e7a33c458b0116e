"""The dashboard password is only ever a hash; the configuration's mistakes are clear errors
that never repeat a secret."""

import pytest

from stationmaster.config import WebConfig, load_settings
from stationmaster.errors import ConfigError
from stationmaster.web.dashboard.auth import login_from_config
from stationmaster.web.dashboard.passwords import PasswordHash, hash_password

SECRET_ENV = {"STATIONMASTER_SESSION_SECRET": "k" * 40}


def test_a_hash_checks_its_password_and_no_other() -> None:
    encoded = hash_password("a long enough password", n=2**10)
    assert encoded.startswith("scrypt$1024$8$1$")
    parsed = PasswordHash.parse(encoded)
    assert parsed.matches("a long enough password")
    assert not parsed.matches("a long enough passwore")
    assert hash_password("a long enough password", n=2**10) != encoded  # a new salt each time


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("bcrypt$x", "reads scrypt$"),
        ("scrypt$abc$8$1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "non-numeric cost"),
        ("scrypt$1000$8$1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "out of range"),
        ("scrypt$16384$8$1$c2E$a2V5a2V5a2V5a2V5a2V5", "too short"),
    ],
)
def test_a_malformed_hash_says_what_is_wrong(encoded: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("$", r"\$")):
        PasswordHash.parse(encoded)


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8 characters"):
        hash_password("short")


def test_the_configuration_gives_a_login_from_the_environment_or_a_hash() -> None:
    assert login_from_config(WebConfig(), environ={}) is None
    from_env = login_from_config(
        WebConfig(), environ={"STATIONMASTER_DASHBOARD_PASSWORD": "from the env", **SECRET_ENV}
    )
    assert from_env is not None and from_env.password.matches("from the env")
    assert from_env.secret == b"k" * 40
    hashed = hash_password("from the file", n=2**10)
    settings = load_settings(environ={"STATIONMASTER__WEB__DASHBOARD_PASSWORD_HASH": hashed})
    from_file = login_from_config(
        settings.web, environ={"STATIONMASTER_DASHBOARD_PASSWORD": "ignored!", **SECRET_ENV}
    )
    assert from_file is not None and from_file.password.matches("from the file")
    shorter = login_from_config(
        WebConfig(session_hours=2), environ={"STATIONMASTER_DASHBOARD_PASSWORD": "from the env"}
    )
    assert shorter is not None and shorter.session_seconds == 7200


@pytest.mark.parametrize(
    ("web", "environ", "message"),
    [
        (WebConfig(), {"STATIONMASTER_DASHBOARD_PASSWORD": "short"}, "at least 8 characters"),
        (
            WebConfig(),
            {
                "STATIONMASTER_DASHBOARD_PASSWORD": "long enough",
                "STATIONMASTER_SESSION_SECRET": "x",
            },
            "STATIONMASTER_SESSION_SECRET must be at least 32 characters",
        ),
        (WebConfig(dashboard_password_hash="scrypt$1$2"), {}, "dashboard_password_hash"),
    ],
)
def test_configuration_mistakes_are_config_errors(
    web: WebConfig, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        login_from_config(web, environ=environ)
    assert "long enough" not in str(caught.value)


def test_the_hash_setting_must_look_like_one() -> None:
    with pytest.raises(ConfigError, match="dashboard_password_hash"):
        load_settings(environ={"STATIONMASTER__WEB__DASHBOARD_PASSWORD_HASH": "plain password"})
