"""The model queue: fair across conversations, newest request wins within one."""

from groupmind.llm.schedule import FairQueue


def drain(queue: FairQueue[str]) -> list[str]:
    taken = []
    while (job := queue.take()) is not None:
        taken.append(job)
    return taken


def test_a_busy_channel_gets_one_turn_per_round() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.put("busy", "busy-1")
    queue.put("quiet", "quiet-1")
    assert queue.take() == "busy-1"
    # The busy channel comes back at once, but waits behind the channel already in line.
    queue.put("busy", "busy-2")
    queue.put("other", "other-1")
    assert drain(queue) == ["quiet-1", "busy-2", "other-1"]


def test_a_grown_burst_replaces_its_queued_reply_and_keeps_its_place() -> None:
    queue: FairQueue[str] = FairQueue()
    assert queue.put("burst", "reply-to-1") is None
    queue.put("calm", "calm-1")
    assert queue.put("burst", "reply-to-1-2") == "reply-to-1"
    assert queue.put("burst", "reply-to-1-2-3") == "reply-to-1-2"
    assert len(queue) == 2
    assert drain(queue) == ["reply-to-1-2-3", "calm-1"]


def test_a_withdrawn_job_leaves_the_line_but_not_its_successor() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.put("a", "a-1")
    queue.put("a", "a-2")
    assert not queue.discard("a", "a-1")  # already replaced: nothing to withdraw
    queue.put("b", "b-1")
    assert queue.discard("b", "b-1")
    assert drain(queue) == ["a-2"]
    assert queue.take() is None
