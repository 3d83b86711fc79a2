"""What became of each draft: still in Drafts, sent by the rep, or deleted by the rep."""
from __future__ import annotations

import json

from tests.test_poll_e2e import NOW, load_demo


def drafts(account) -> dict[str, dict]:
    return {d["key"]: d for d in map(json.loads, account.assistant("drafts", "--json").stdout.splitlines())}


def test_deleted_and_sent_drafts_are_recognised_and_not_made_again(account):
    """The sent copy lost the draft's key header, as with many mail clients: the thread,
    the recipient and the draft's opening sentence still identify it."""
    load_demo(account)
    account.assistant("poll", "--now", NOW)
    made = drafts(account)
    assert {d["state"] for d in made.values()} == {"in_drafts"}
    client = account.imap()
    client.select_folder("Drafts")
    by_key = {}
    for uid, data in client.fetch(client.search(), [b"BODY.PEEK[]"]).items():
        raw = data[b"BODY[]"]
        key = next(line.split(b":", 1)[1].strip().decode() for line in raw.splitlines() if line.lower().startswith(b"x-napgi-draft-key:"))
        by_key[key] = (uid, raw)
    deleted_key, sent_key = sorted(by_key)[:2]
    sent_uid, sent_raw = by_key[sent_key]
    without_key = b"\r\n".join(line for line in sent_raw.split(b"\r\n") if not line.lower().startswith(b"x-napgi-draft-key:"))
    client.append("Sent", without_key, flags=(b"\\Seen",))
    client.delete_messages([by_key[deleted_key][0], sent_uid])
    client.expunge()
    client.logout()

    account.assistant("poll", "--now", NOW)
    states = {key: d["state"] for key, d in drafts(account).items()}
    assert states[deleted_key] == "deleted"
    assert states[sent_key] == "sent"
    assert [s for k, s in states.items() if k not in (deleted_key, sent_key)] == ["in_drafts", "in_drafts"]
    assert len(states) == len(made)
    client = account.imap()
    client.select_folder("Drafts", readonly=True)
    assert len(client.search()) == 2
    client.logout()


def test_an_idle_poll_searches_drafts_only_after_something_changed_there(account, monkeypatch):
    """CONDSTORE: with Drafts' HIGHESTMODSEQ where the last check left it, the poll does not
    SEARCH the folder (a SEARCH reads every draft); a draft the rep deleted moves it."""
    from assistant.mailbox import MailboxSession
    from tests.reliability_support import run_cli

    searched = []
    count_with_header = MailboxSession.count_with_header

    def spy(self, folder, header):
        searched.append(folder)
        return count_with_header(self, folder, header)

    monkeypatch.setattr(MailboxSession, "count_with_header", spy)
    load_demo(account)
    assert run_cli(account, "poll", "--now", NOW)[0] == 0
    assert searched == ["Drafts"]
    assert run_cli(account, "poll", "--now", NOW)[0] == 0
    assert searched == ["Drafts"]

    client = account.imap()
    client.select_folder("Drafts")
    client.delete_messages(client.search()[:1])
    client.expunge()
    client.logout()
    assert run_cli(account, "poll", "--now", NOW)[0] == 0
    assert searched == ["Drafts", "Drafts"]
    assert sorted(d["state"] for d in drafts(account).values()) == ["deleted", "in_drafts", "in_drafts", "in_drafts"]
