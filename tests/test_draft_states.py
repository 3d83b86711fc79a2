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
