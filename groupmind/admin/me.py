"""`/gm me`: what the bot holds about a member, shown only to them, and their corrections.

    /gm me                         everything held about me here
    /gm me set name Sam            call me Sam
    /gm me set interest|expertise X   add X (a correction the bot learned wrong by omission)
    /gm me forget X                delete X wherever it is held (an interest, what I know about)
    /gm me forget interest|expertise X   delete X from one list only
    /gm me forget name|hours       delete how to call me, or when I am usually around
    /gm me forget all              delete my whole model (my messages stay: /gm forget-me deletes those)

A deleted item does not come back from the member's next message. Every answer is private.
"""

from __future__ import annotations

from datetime import datetime

from groupmind.store import Store
from groupmind.store.member_facts import KINDS, MemberRecord

MAX_ITEM_CHARS = 40
USAGE_SET = "usage: /gm me set name|interest|expertise VALUE"
WHOLE = ("name", "hours", "all")
"""What `/gm me forget` takes without a value."""


class MeRefused(ValueError):
    """A `/gm me` request that cannot run as given; the message is the line to show."""


def render(record: MemberRecord, *, opted_out: bool) -> str:
    """What the bot holds about a member, with how to change each part."""
    lines = ["What I hold about you here (only you see this):"]
    if opted_out:
        lines.append("- you opted out, so I learn nothing new about you (/gm optin undoes it).")
    if record.empty:
        lines.append("- nothing yet.")
    if record.call:
        lines.append(f"- I call you: {record.call}  (/gm me forget name)")
    if record.interests:
        lines.append(f"- your interests: {', '.join(i for i, _ in record.interests[:10])}")
    if record.knows:
        lines.append(f"- you help others with: {', '.join(i for i, _ in record.knows[:10])}")
    if hours := record.usual_hours():
        lines.append(f"- you are usually around: {', '.join(f'{h:02d}:00' for h in sorted(hours))} UTC")
    lines.append("Change it: /gm me set name NAME | /gm me set interest X | /gm me forget X | /gm me forget all")
    return "\n".join(lines)


def _item(text: str) -> str:
    item = " ".join(text.split()).casefold()
    if not item or len(item) > MAX_ITEM_CHARS:
        raise MeRefused(f"an item is 1 to {MAX_ITEM_CHARS} characters; nothing was changed.")
    return item


async def set_item(store: Store, platform: str, community: str, member_id: str, kind: str, value: str,
                   now: datetime) -> str:  # fmt: skip
    """`/gm me set KIND VALUE`: the member's own word on themselves."""
    kind = kind.casefold()
    if kind == "name":
        name = " ".join(value.split())
        if not 1 <= len(name) <= 32 or not any(ch.isalnum() for ch in name):
            raise MeRefused("a name is 1 to 32 characters with a letter or digit; nothing was changed.")
        await store.member_facts.set_call(platform, community, member_id, name)
        return f"noted: I will call you {name}."
    if kind not in KINDS:
        raise MeRefused(USAGE_SET)
    item = _item(value)
    await store.member_facts.add(platform, community, member_id, kind, item, now.timestamp())
    return f"noted: {item} is one of your {'interests' if kind == 'interest' else 'areas of expertise'}."


async def forget_item(store: Store, platform: str, community: str, member_id: str, args: tuple[str, ...]) -> str:
    """`/gm me forget ...`: delete one item, one whole part, or everything held about the member."""
    facts = store.member_facts
    first = args[0].casefold()
    if len(args) == 1 and first in WHOLE:
        if first == "name":
            await facts.set_call(platform, community, member_id, None)
            return "deleted: how I call you."
        if first == "hours":
            await facts.delete(platform, community, member_id, "hours", "")
            return "deleted: when you are usually around; I will not keep it again."
        await facts.forget_all(platform, community, member_id)
        await store.group_memory.drop_credits(platform, community, member_id, None)
        return "deleted everything I held about you here (your messages stay; /gm forget-me deletes those too)."
    if len(args) == 2 and first in KINDS:
        kinds, item = (first,), _item(args[1])
    else:
        kinds, item = KINDS, _item(" ".join(args))
    found = [kind for kind in kinds if await facts.delete(platform, community, member_id, kind, item)]
    if "expertise" in kinds:
        found += ["group"] if await store.group_memory.drop_credits(platform, community, member_id, [item]) else []
    if not found:
        return f"I held nothing called {item!r} about you; I will not keep it from now on."
    return f"deleted: {item}; I will not keep it again."
