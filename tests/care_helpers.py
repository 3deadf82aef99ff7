"""Care tests' helper: care contacts set up in a community."""

from __future__ import annotations

import json
from datetime import datetime

from groupmind.pipeline import Pipeline
from groupmind.store.community import CARE_CONTACTS


async def add_contacts(pipeline: Pipeline, community: str, *names: str, at: datetime) -> None:
    """Make `names` care contacts of a local community (they spoke once, so they have names)."""
    from tests.helpers import msg

    for name in names:
        await pipeline.store.append(msg(name, "hi all", community=community, ts=at))
    await pipeline.store.set_setting("local", community, CARE_CONTACTS, json.dumps([n.casefold() for n in names]))
