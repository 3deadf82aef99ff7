"""Fixtures for the platform end-to-end tests."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from tests.e2e.fake_slack import FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A fake Slack on loopback that knows two members, alice (U1) and bob (U2)."""
    slack = FakeSlack()
    slack.add_user("U1", "alice")
    slack.add_user("U2", "bob")
    await slack.start()
    yield slack
    await slack.stop()
