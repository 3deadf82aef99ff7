"""The App Home view: pure functions, so its limits and its privacy are checked without Slack."""

from datetime import datetime, timezone

from adapters.slack.home import MAX_SHOWN, SECTION_LIMIT, alert_summary, home_view
from groupmind.events import CareAlert, ChannelRef, Member


def alert(number: int, **fields: object) -> CareAlert:
    values: dict[str, object] = {
        "id": str(number),
        "member": Member(id="U1", display_name="alice <@U9>"),
        "where": ChannelRef(platform="slack", community="T1", channel="C0123ABC", thread="1700000000.000100"),
        "why": "a plan",
        "excerpt": "tonight, nobody will miss me",
        "urgency": "imminent",
        "created_at": datetime(2024, 5, 1, 21, 30, tzinfo=timezone.utc),
        **fields,
    }
    return CareAlert.model_validate(values)


def texts(view: dict[str, object]) -> str:
    return repr(view)


def test_a_non_contact_sees_what_groupmind_is_and_no_alert() -> None:
    view = home_view(None, "Mind")
    assert view["type"] == "home" and "not a care contact" in texts(view) and "Care alerts" not in texts(view)


def test_a_contact_without_alerts_is_told_so() -> None:
    assert "No open care alerts" in texts(home_view([], "Mind"))


def test_an_alert_says_who_where_why_when_and_quotes_literally() -> None:
    summary = alert_summary(alert(7, link="https://x.slack.com/archives/C0123ABC/p1?a=1&b=2"))
    assert summary.startswith("*#7 · imminent* (open) · <!date^1714599000^{date_short_pretty} at {time}|2024-05-01 21:30 UTC>")
    assert "*Who:* alice &lt;@U9&gt;" in summary, "a name cannot ping anyone"
    assert "<#C0123ABC> (in a thread) · <https://x.slack.com/archives/C0123ABC/p1?a=1&amp;b=2|open the conversation>" in summary
    assert "*They said:* “tonight, nobody will miss me”" in summary
    odd = alert_summary(alert(8, where=ChannelRef(platform="slack", community="T1", channel="<!here>")))
    assert "*Where:* &lt;!here&gt;" in odd, "a channel that is no Slack id is shown as text"


def test_many_alerts_stay_within_slacks_limits() -> None:
    huge = "&" * 3000  # escapes to five times its length
    alerts = [alert(n, why="w" * 128, excerpt=huge, bot_said=huge) for n in range(1, MAX_SHOWN + 6)]
    view = home_view(alerts, "Mind")
    blocks = view["blocks"]
    assert len(blocks) <= 100
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    assert all(not text.rstrip("…").endswith(("&", "&a", "&am", "&amp")) for text in sections), "no half entity"
    assert f"#{MAX_SHOWN} · imminent" in texts(view) and f"#{MAX_SHOWN + 1} · " not in texts(view)
    assert "and 5 more: `/groupmind alerts list`" in texts(view)
