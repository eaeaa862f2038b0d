"""Tokens and database passwords never reach a log line, even in a traceback."""

import io
import sys

import structlog

from runtime.logs import configure_logging
from runtime.settings import Settings


def test_settings_do_not_show_the_token_or_the_database_url():
    settings = Settings.from_env(
        {"INCIDENT_INGEST_TOKEN": "s3cr3t-token", "INCIDENT_DATABASE_URL": "postgresql://u:pw@h/db"}
    )
    assert "s3cr3t-token" not in repr(settings) and "pw@h" not in repr(settings)
    assert settings.ingest_token == "s3cr3t-token"


def test_a_logged_traceback_shows_no_local_variables(monkeypatch):
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    configure_logging("info")
    try:

        def authorize(token: str) -> None:
            raise PermissionError("refused")

        authorize("s3cr3t-token")
    except PermissionError:
        structlog.get_logger("test").exception("authorization failed")
    finally:
        structlog.reset_defaults()
    output = captured.getvalue()
    assert "authorization failed" in output and "PermissionError" in output
    assert "s3cr3t-token" not in output
