import pytest

from groupmind.speak import decide
from tests.helpers import msg


@pytest.mark.parametrize(
    ("fields", "speak", "reason"),
    [
        ({"text": "Mind, what do you think?"}, True, "named"),
        ({"text": "what do you think, mind?"}, True, "named"),
        ({"text": "hey", "mentions_bot": True}, True, "mentioned"),
        ({"text": "yes", "reply_to_bot": True}, True, "reply to the bot"),
        ({"text": "be mindful of the time"}, False, "not addressed"),
        ({"text": "Mind?", "author_is_bot": True}, False, "a bot wrote it"),
        ({"text": "   "}, False, "empty message"),
    ],
)
def test_speaks_only_when_addressed(fields: dict, speak: bool, reason: str) -> None:
    decision = decide(msg(**fields), "Mind")
    assert (decision.speak, decision.reason) == (speak, reason)
