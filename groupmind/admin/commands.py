"""Running admin commands: one implementation for Discord, Slack and the local room.

An adapter builds an `AdminCommand` (saying, from the platform's own
permissions, whether the invoker is an admin) and shows the `CommandResult`.
Checks come in a fixed order, and nothing changes unless all pass: unknown
command or bad arguments get one usage line, an admin command from a
non-admin gets a refusal. Every admin command that runs is audited.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Awaitable, Callable, Mapping

from groupmind.admin import audit, me, norms, privacy
from groupmind.admin.grammar import BY_NAME, SPECS, usage_for
from groupmind.events import AdminCommand, CareAlert, CommandFile, CommandResult, utcnow
from groupmind.platform import Platform
from groupmind.prompt import MAX_PERSONA_CHARS
from groupmind.store.care_records import CareRecords
from groupmind.store.settings import (
    CARE_CHANNEL, CARE_CHECKINS, CARE_CONTACTS, CARE_DEFAULTS, CARE_REGION, CARE_SENSITIVITY, PERSONA, WE_SHARED,
    CommunitySettings, mode_field, persona_field,
)  # fmt: skip
from groupmind.store.norms import Norm, Source
from groupmind.store.state import Store
from groupmind.we.lasting import Lasting

MAX_CARE_CONTACTS = 20
_REGION = re.compile(r"^[A-Za-z]{2}$")
_CHANNEL = re.compile(r"^<?#?([A-Za-z0-9_-]{1,80})(?:\|[^>]*)?>?$")
"""A channel as members type it: an id or name, `#name`, or a platform mention (`<#123>`, `<#C123|name>`)."""


class _Refused(Exception):
    """A command that cannot run as given; the message is the one line to show."""


@dataclass(frozen=True)
class _Outcome:
    text: str
    old: str | None = None
    new: str | None = None
    private: bool = False
    file: CommandFile | None = None


_Handler = Callable[["Admin", AdminCommand], Awaitable[_Outcome]]
_HANDLERS: dict[str, _Handler] = {}


def _handles(name: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        _HANDLERS[name] = fn
        return fn

    return register


def _uptime(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (f"{days}d " if days else "") + f"{hours}h {minutes}m {secs}s"


class Admin:
    """The admin commands of every community, against the shared state in Redis.

    Args:
        store: the shared state.
        model: what answers (the engine's name), shown by `status`.
        bot_name: the bot's display name, used in `help`.
        clock: wall time, for audit entries and uptime.
        platforms: the running adapters, by name; admins are told privately through one
            that knows who they are (`Platform.to_admins`).
    """

    def __init__(
        self,
        store: Store,
        *,
        model: str,
        bot_name: str = "Mind",
        clock: Callable[[], datetime] = utcnow,
        platforms: Mapping[str, Platform] | None = None,
    ) -> None:
        self.store = store
        self.alerts = CareRecords.of(store, clock).alerts
        self.model = model
        self.bot_name = bot_name
        self.clock = clock
        self.platforms = platforms if platforms is not None else {}
        self.started_at = clock()

    async def execute(self, cmd: AdminCommand) -> CommandResult:
        """Run one command; see the module docstring for the order of checks."""
        spec = BY_NAME.get(cmd.name)
        if spec is None:
            return CommandResult(ok=False, text=usage_for(cmd.name), private=True)
        if spec.admin and not cmd.invoker_is_admin and not (spec.care_contacts and await self._is_contact(cmd)):
            who = "community admins and care contacts" if spec.care_contacts else "community admins"
            return CommandResult(ok=False, text=f"/gm {spec.name} is for {who} only; nothing was changed.", private=True)
        if usage := spec.check(cmd.args):
            return CommandResult(ok=False, text=usage, private=True)
        try:
            outcome = await _HANDLERS[spec.name](self, cmd)
        except _Refused as refused:
            return CommandResult(ok=False, text=str(refused), private=True)
        if spec.admin:
            await audit.record(self.store.audit, cmd, self.clock(), outcome.old, outcome.new)
        return CommandResult(ok=True, text=outcome.text, file=outcome.file, private=outcome.private)

    # --- helpers --------------------------------------------------------------------

    async def _is_contact(self, cmd: AdminCommand) -> bool:
        return cmd.invoker.id in await self._contacts(cmd)

    async def _setting(self, cmd: AdminCommand, field: str, value: str | None) -> str | None:
        """Set (or, with None, delete) one community setting; returns the old value."""
        return await self.store.settings.set(cmd.platform, cmd.community, field, value)

    async def _settings(self, cmd: AdminCommand) -> CommunitySettings:
        return await self.store.settings.read(cmd.platform, cmd.community)

    async def _mode(self, cmd: AdminCommand) -> str:
        return (await self._settings(cmd)).mode(cmd.where.conversation)

    async def _names(self, cmd: AdminCommand, ids: list[str]) -> dict[str, str]:
        """Display names of member ids (the id itself when unknown)."""
        return await self.store.member_names(cmd.platform, cmd.community, ids)

    async def _member(self, cmd: AdminCommand, who: str) -> str:
        """The id of a member given by id or display name, among those who spoke here."""
        known = await self.store.member_ids(cmd.platform, cmd.community)
        if who in known:
            return who
        matches = [i for i, name in (await self._names(cmd, known)).items() if name.casefold() == who.casefold()]
        if len(matches) != 1:
            raise _Refused(f"no single member called {who!r} has spoken here; nothing was changed.")
        return matches[0]

    async def _contacts(self, cmd: AdminCommand) -> list[str]:
        return list((await self._settings(cmd)).care_contacts)

    async def _no_contacts_left(self, cmd: AdminCommand, why: str) -> None:
        """Tell the admins that the last care contact is gone, so care alerts now reach nobody.

        A community admin expects to hear it at once and privately (it is about
        the community's safety net, not for the channel): where the platform's
        adapter knows its admins (the local room's `--admin`), they are told
        through it. Where it does not (Discord and Slack show only whether the
        person invoking a command is an admin), it goes to the audit log, where
        the bot already reports what it could not deliver. Either way `status`
        and `alerts list` show it until a care contact is added, so an admin who
        was not there still meets it where they look. It never says who went:
        one who asked to be forgotten must not be named in what stays.
        """
        now = self.clock()
        notice = (
            f"{now:%Y-%m-%d %H:%M}: the last care contact {why}, so care alerts reach no care contact now. "
            "Add one with /gm care contacts add MEMBER."
        )
        await self.store.settings.set_notice(cmd.platform, cmd.community, notice)
        platform = self.platforms.get(cmd.platform)
        if not (platform is not None and await platform.to_admins(cmd.where, notice)):
            await audit.note(self.store.audit, cmd.where, notice, now)

    async def _notice(self, cmd: AdminCommand) -> list[str]:
        """The standing care notice (see `_no_contacts_left`) as lines to show first, if there is one."""
        notice = (await self._settings(cmd)).care_notice
        return [f"care notice: {notice}"] if notice else []

    async def _alert_id(self, cmd: AdminCommand) -> str:
        alert_id = cmd.args[0].lstrip("#")
        if not alert_id.isdigit():
            raise _Refused(BY_NAME[cmd.name].usage)
        return alert_id


def _alert_line(alert: CareAlert) -> str:
    line = (
        f"#{alert.id} [{alert.state}, {alert.urgency}] {alert.member.display_name} in #{alert.where.conversation} "
        f"{alert.created_at:%Y-%m-%d %H:%M}: {alert.why}"
    )
    if alert.excerpt:
        line += f' — "{alert.excerpt}"'
    if alert.link:
        line += f" {alert.link}"
    if alert.bot_said:
        line += f" (I said: {alert.bot_said})"
    if alert.admins_told_at is not None:
        line += f" [no answer after {alert.reminders} reminders; admins told {alert.admins_told_at:%Y-%m-%d %H:%M}]"
    elif alert.reminders:
        line += f" [reminded {alert.reminders}x]"
    return line


def _free_text(cmd: AdminCommand, limit: int) -> str:
    text = " ".join(cmd.args[0].split())
    if len(text) > limit:
        raise _Refused(f"{BY_NAME[cmd.name].usage} (at most {limit} characters)")
    return text


# --- admin commands ---------------------------------------------------------------------


@_handles("status")
async def _status(admin: Admin, cmd: AdminCommand) -> _Outcome:
    conversations = await admin.store.conversations(cmd.platform, cmd.community)
    stored = await admin.store.stored_counts(cmd.platform, cmd.community, conversations)
    counts = [f"{name} {count}" for name, count in stored.items()]
    open_alerts = await admin.alerts.list(cmd.platform, cmd.community)
    unanswered = sum(a.admins_told_at is not None for a in open_alerts)
    drift = await audit.latest_note(admin.store.audit, cmd.platform, cmd.community, audit.DRIFT)
    lines = [
        f"model: {admin.model}",
        f"uptime: {_uptime((admin.clock() - admin.started_at).total_seconds())}",
        f"conversations seen: {len(conversations)}",
        f"messages stored: {', '.join(counts) or 'none'}",
        f"open care alerts: {len(open_alerts)}" + (f" ({unanswered} unanswered after every reminder)" if unanswered else ""),
        f"mode here: {await admin._mode(cmd)}",
        f"last drift: {drift['when'][:16].replace('T', ' ')}, {drift['what']}" if drift else "last drift: none",
        *await admin._notice(cmd),
    ]
    return _Outcome("\n".join(lines))


@_handles("mode")
async def _mode(admin: Admin, cmd: AdminCommand) -> _Outcome:
    mode = cmd.args[0].casefold()
    old = await admin._setting(cmd, mode_field(cmd.where.conversation), mode)
    return _Outcome(f"mode in #{cmd.where.conversation}: {mode} (was {old or 'mention'})", old, mode)


@_handles("persona show")
async def _persona_show(admin: Admin, cmd: AdminCommand) -> _Outcome:
    settings = await admin._settings(cmd)
    channel = settings.channel_persona(cmd.where.conversation)
    community = settings.community_persona
    if channel:
        return _Outcome(f"persona in #{cmd.where.conversation}: {channel}")
    if community:
        return _Outcome(f"persona (the community's): {community}")
    return _Outcome("no persona set: I use my default identity.")


@_handles("persona set")
async def _persona_set(admin: Admin, cmd: AdminCommand) -> _Outcome:
    text = _free_text(cmd, MAX_PERSONA_CHARS)
    old = await admin._setting(cmd, persona_field(cmd.where.conversation), text)
    return _Outcome(f"persona in #{cmd.where.conversation} set.", old, text)


@_handles("persona reset")
async def _persona_reset(admin: Admin, cmd: AdminCommand) -> _Outcome:
    old = await admin._setting(cmd, persona_field(cmd.where.conversation), None)
    return _Outcome(f"#{cmd.where.conversation} uses the community's persona again.", old, None)


@_handles("persona community set")
async def _persona_community_set(admin: Admin, cmd: AdminCommand) -> _Outcome:
    text = _free_text(cmd, MAX_PERSONA_CHARS)
    old = await admin._setting(cmd, PERSONA, text)
    return _Outcome("community persona set.", old, text)


@_handles("persona community reset")
async def _persona_community_reset(admin: Admin, cmd: AdminCommand) -> _Outcome:
    old = await admin._setting(cmd, PERSONA, None)
    return _Outcome("community persona removed.", old, None)


@_handles("care contacts add")
async def _contacts_add(admin: Admin, cmd: AdminCommand) -> _Outcome:
    member_id = await admin._member(cmd, cmd.args[0])
    contacts = await admin._contacts(cmd)
    if member_id in contacts:
        return _Outcome(f"{cmd.args[0]} is already a care contact.")
    if len(contacts) >= MAX_CARE_CONTACTS:
        raise _Refused(f"at most {MAX_CARE_CONTACTS} care contacts; remove one first. Nothing was changed.")
    new = json.dumps([*contacts, member_id])
    old = await admin._setting(cmd, CARE_CONTACTS, new)
    await admin.store.settings.set_notice(cmd.platform, cmd.community, None)
    return _Outcome(f"{cmd.args[0]} will receive care alerts.", old, new)


@_handles("care contacts remove")
async def _contacts_remove(admin: Admin, cmd: AdminCommand) -> _Outcome:
    contacts = await admin._contacts(cmd)
    who = cmd.args[0]
    member_id = who if who in contacts else await admin._member(cmd, who)
    if member_id not in contacts:
        raise _Refused(f"{who} is not a care contact; nothing was changed.")
    left = [c for c in contacts if c != member_id]
    old = await admin._setting(cmd, CARE_CONTACTS, json.dumps(left))
    if not left:
        await admin._no_contacts_left(cmd, "was removed by an admin")
    return _Outcome(f"{who} no longer receives care alerts.", old, json.dumps(left))


@_handles("care contacts list")
async def _contacts_list(admin: Admin, cmd: AdminCommand) -> _Outcome:
    names = await admin._names(cmd, await admin._contacts(cmd))
    return _Outcome("care contacts: " + (", ".join(names.values()) or "none yet"))


@_handles("care region")
async def _care_region(admin: Admin, cmd: AdminCommand) -> _Outcome:
    if not _REGION.match(cmd.args[0]):
        raise _Refused(f"{BY_NAME[cmd.name].usage} (a two-letter country code such as US, GB, DE)")
    return await _care_choice(admin, cmd, CARE_REGION, cmd.args[0].upper())


@_handles("care checkins")
async def _care_checkins(admin: Admin, cmd: AdminCommand) -> _Outcome:
    return await _care_choice(admin, cmd, CARE_CHECKINS, cmd.args[0].casefold())


@_handles("care sensitivity")
async def _care_sensitivity(admin: Admin, cmd: AdminCommand) -> _Outcome:
    return await _care_choice(admin, cmd, CARE_SENSITIVITY, cmd.args[0].casefold())


@_handles("care channel")
async def _care_channel(admin: Admin, cmd: AdminCommand) -> _Outcome:
    given = cmd.args[0]
    if given.casefold() == "off":
        old = await admin._setting(cmd, CARE_CHANNEL, None)
        return _Outcome(f"care channel: off (was {old or 'off'}); care alerts go to the care contacts by DM only.", old)
    found = _CHANNEL.match(given)
    if found is None:
        raise _Refused(f"{BY_NAME[cmd.name].usage} (a channel such as #care-team, or off)")
    channel = found.group(1)
    old = await admin._setting(cmd, CARE_CHANNEL, channel)
    return _Outcome(
        f"care channel: {channel} (was {old or 'off'}). An alert a care contact cannot get by DM goes there, "
        "and only while the channel stays private.",
        old,
        channel,
    )


async def _care_choice(admin: Admin, cmd: AdminCommand, field: str, value: str) -> _Outcome:
    old = await admin._setting(cmd, field, value)
    return _Outcome(f"{field.replace('.', ' ')}: {value} (was {old or CARE_DEFAULTS[field]})", old, value)


@_handles("alerts list")
async def _alerts_list(admin: Admin, cmd: AdminCommand) -> _Outcome:
    every = bool(cmd.args)
    alerts = await admin.alerts.list(cmd.platform, cmd.community, include_closed=every)
    lines = [_alert_line(a) for a in alerts] or ["no care alerts." if every else "no open care alerts."]
    return _Outcome("\n".join([*await admin._notice(cmd), *lines]), private=True)


@_handles("alerts ack")
async def _alerts_ack(admin: Admin, cmd: AdminCommand) -> _Outcome:
    alert_id = await admin._alert_id(cmd)
    before = await admin.alerts.get(cmd.platform, cmd.community, alert_id)
    after = await admin.alerts.ack(cmd.platform, cmd.community, alert_id, cmd.invoker)
    return _moved(alert_id, before, after)


@_handles("alerts resolve")
async def _alerts_resolve(admin: Admin, cmd: AdminCommand) -> _Outcome:
    alert_id = await admin._alert_id(cmd)
    note = cmd.args[1] if len(cmd.args) > 1 else None
    before = await admin.alerts.get(cmd.platform, cmd.community, alert_id)
    after = await admin.alerts.resolve(cmd.platform, cmd.community, alert_id, cmd.invoker, note)
    return _moved(alert_id, before, after)


def _moved(alert_id: str, before: CareAlert | None, after: CareAlert | None) -> _Outcome:
    if before is None or after is None:
        raise _Refused(f"no care alert #{alert_id}; /gm alerts list shows them.")
    if before.state == after.state:
        return _Outcome(f"alert #{alert_id} is already {after.state}.", private=True)
    return _Outcome(f"alert #{alert_id}: {after.state}.", before.state, after.state, private=True)


@_handles("export")
async def _export(admin: Admin, cmd: AdminCommand) -> _Outcome:
    now = admin.clock()
    data = await privacy.export(admin.store, cmd.platform, cmd.community, now)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", f"groupmind-{cmd.platform}-{cmd.community}")
    name = f"{stem}-{now:%Y%m%dT%H%M%S}.json"
    content = json.dumps(data, indent=2, ensure_ascii=False)
    keys = len(data["keys"])  # type: ignore[arg-type]
    return _Outcome(f"export of {keys} stored keys: {name}", new=name, private=True, file=CommandFile(name=name, content=content))


# --- member commands ----------------------------------------------------------------------


@_handles("optout")
async def _optout(admin: Admin, cmd: AdminCommand) -> _Outcome:
    if not await admin.store.settings.opt_out(cmd.platform, cmd.community, cmd.invoker.id):
        return _Outcome("you were already opted out.", private=True)
    return _Outcome(
        "opted out: I will not watch your messages for care or keep a profile of you. "
        "Your messages still form part of the conversation; /gm forget-me deletes what I kept, /gm optin undoes this.",
        private=True,
    )


@_handles("optin")
async def _optin(admin: Admin, cmd: AdminCommand) -> _Outcome:
    removed = await admin.store.settings.opt_in(cmd.platform, cmd.community, cmd.invoker.id)
    return _Outcome("welcome back: care and profiling are on for you again." if removed else "you were not opted out.",
                    private=True)  # fmt: skip


@_handles("forget-me")
async def _forget_me(admin: Admin, cmd: AdminCommand) -> _Outcome:
    done = await privacy.forget_member(admin.store, cmd.platform, cmd.community, cmd.invoker.id)
    if done.last_care_contact:
        await admin._no_contacts_left(cmd, "asked to be forgotten")
    text = f"forgotten: {done.summary()}."
    if done.optout_kept:
        text += " Your opt-out is kept, so I still will not watch or profile you (/gm optin undoes it)."
    return _Outcome(text, private=True)


@_handles("my-plan")
async def _my_plan(admin: Admin, cmd: AdminCommand) -> _Outcome:
    plan = await admin.store.safety_plans.load(cmd.platform, cmd.community, cmd.invoker.id)
    if plan.empty:
        return _Outcome("you haven't made a safety plan with me yet. If you'd like to, write to me privately: "
                        "\"can we make a plan for bad nights?\"", private=True)  # fmt: skip
    return _Outcome(f"your safety plan, for you only:\n{plan.render()}", private=True)


@_handles("me")
async def _me(admin: Admin, cmd: AdminCommand) -> _Outcome:
    record = await Lasting(admin.store).member(cmd.platform, cmd.community, cmd.invoker.id, admin.clock())
    opted_out = await admin.store.settings.is_opted_out(cmd.platform, cmd.community, cmd.invoker.id)
    return _Outcome(me.render(record, opted_out=opted_out), private=True)


@_handles("me set")
async def _me_set(admin: Admin, cmd: AdminCommand) -> _Outcome:
    if await admin.store.settings.is_opted_out(cmd.platform, cmd.community, cmd.invoker.id):
        raise _Refused("you opted out, so I keep no profile of you; /gm optin first. Nothing was changed.")
    try:
        text = await me.set_item(admin.store, cmd.platform, cmd.community, cmd.invoker.id, *cmd.args, admin.clock())
    except me.MeRefused as refused:
        raise _Refused(str(refused)) from None
    return _Outcome(text, private=True)


@_handles("me forget")
async def _me_forget(admin: Admin, cmd: AdminCommand) -> _Outcome:
    try:
        text = await me.forget_item(admin.store, cmd.platform, cmd.community, cmd.invoker.id, cmd.args)
    except me.MeRefused as refused:
        raise _Refused(str(refused)) from None
    return _Outcome(text, private=True)


@_handles("we")
async def _we(admin: Admin, cmd: AdminCommand) -> _Outcome:
    if not cmd.invoker_is_admin and (await admin._settings(cmd)).value(WE_SHARED) != "on":
        raise _Refused("/gm we is for community admins here (they can share it with /gm we share on).")
    return _Outcome(await Lasting(admin.store).summary(cmd.platform, cmd.community, admin.clock()), private=True)


@_handles("we share")
async def _we_share(admin: Admin, cmd: AdminCommand) -> _Outcome:
    value = cmd.args[0].casefold()
    old = await admin._setting(cmd, WE_SHARED, value)
    return _Outcome(f"/gm we for members: {value} (was {old or 'off'})", old, value)


@_handles("norms")
async def _norms(admin: Admin, cmd: AdminCommand) -> _Outcome:
    book = await admin.store.norms.all(cmd.platform, cmd.community)
    ids = sorted({s.member_id for n in book for s in n.sources})
    return _Outcome(norms.listing(book, admin.clock(), await admin._names(cmd, ids)))


@_handles("norm add")
async def _norm_add(admin: Admin, cmd: AdminCommand) -> _Outcome:
    vote = norms.parse(_free_text(cmd, 200))
    if isinstance(vote, str):
        raise _Refused(f"{BY_NAME[cmd.name].usage}: {vote}; nothing was changed.")
    now = admin.clock().timestamp()
    source = Source(cmd.invoker.id, cmd.platform, "command", now)
    book = {n.key: n for n in await admin.store.norms.all(cmd.platform, cmd.community)}
    norm = book.get(f"{vote.kind}:{vote.value}") or Norm(vote.kind, vote.value, created=now)
    norm = replace(norm.with_vote(source), pinned=True, pinned_at=now)
    await admin.store.norms.put(cmd.platform, cmd.community, norm)
    return _Outcome(f"house rule pinned: {norms.describe(norm)}.", None, norm.key)


@_handles("norm pin")
async def _norm_pin(admin: Admin, cmd: AdminCommand) -> _Outcome:
    norm = await _norm(admin, cmd)
    pinned = replace(norm, pinned=True, pinned_at=admin.clock().timestamp())
    await admin.store.norms.put(cmd.platform, cmd.community, pinned)
    return _Outcome(f"house rule pinned: {norms.describe(norm)}.", None, norm.key)


@_handles("norm remove")
async def _norm_remove(admin: Admin, cmd: AdminCommand) -> _Outcome:
    norm = await _norm(admin, cmd)
    await admin.store.norms.remove(cmd.platform, cmd.community, norm.key)
    return _Outcome(f"house rule removed: {norms.describe(norm)}.", norm.key, None)


async def _norm(admin: Admin, cmd: AdminCommand) -> Norm:
    norm = norms.pick(await admin.store.norms.all(cmd.platform, cmd.community), cmd.args[0])
    if norm is None:
        raise _Refused(f"no norm {cmd.args[0]!r}: /gm norms lists them; nothing was changed.")
    return norm


@_handles("help")
async def _help(admin: Admin, cmd: AdminCommand) -> _Outcome:
    names = await admin._names(cmd, await admin._contacts(cmd))
    bot = admin.bot_name
    lines = [
        f"I'm {bot}, an AI member of this group. I answer when addressed (mode here: "
        f"{await admin._mode(cmd)}), and I look out for people who may be struggling "
        "and bring in a human care contact. I am not a therapist.",
        "What I store here: each conversation's recent messages, when each member spoke (to notice a regular "
        "going quiet), the community's settings, and private care alerts.",
        "Care contacts: " + (", ".join(names.values()) or "none yet (admins: /gm care contacts add MEMBER)"),
        "Commands:",
    ]
    lines += [f"  {s.usage.removeprefix('usage: ')} — {s.summary}{' (admins)' if s.admin else ''}" for s in SPECS]
    return _Outcome("\n".join(lines))
