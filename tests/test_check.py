"""`assistant check`: one line per check, with a fix hint, and an exit code that names the first failure."""
from __future__ import annotations

from tests.reliability_support import run_cli, set_mailbox_keys


def test_everything_passes_against_the_test_server(account):
    code, out, _ = run_cli(account, "check")
    assert code == 0, out
    lines = out.splitlines()
    assert all(line.startswith("ok  ") for line in lines)
    names = [line.split(":")[0][6:] for line in lines]
    assert names == ["config", "database", "lock", "mailbox work", "mailbox work folder", "mailbox work drafts", "mailbox work sent", "smtp"]
    assert "0005 is applied by the next command" in out and "'Drafts'" in out and "'Sent'" in out


def test_a_wrong_password_fails_the_login_line_with_exit_4(account):
    code, out, _ = run_cli(account, "check", extra_env={"ASSISTANT_IMAP_PASSWORD": "s3cret-Wr0ng"})
    assert code == 4
    assert "FAIL  mailbox work: work (127.0.0.1:" in out and "-> check the password" in out
    assert "s3cret-Wr0ng" not in out


def test_a_missing_folder_and_an_unreachable_server(account, dovecot):
    set_mailbox_keys(account, drafts_folder="Entwürfe")
    code, out, _ = run_cli(account, "check")
    assert code == 3 and "FAIL  mailbox work drafts" in out and "-> set drafts_folder" in out
    from assistant.devserver import free_port

    set_mailbox_keys(account, port=free_port())
    code, out, _ = run_cli(account, "check")
    assert code == 3 and "cannot connect" in out and "-> check host, port" in out


def test_a_broken_config_stops_at_the_first_line_with_exit_2(account):
    account.config.write_text(account.config.read_text().replace("[rep]", "[rep]\nnmae = 1"))
    code, out, _ = run_cli(account, "check")
    assert code == 2
    assert out.splitlines() == [out.splitlines()[0]] and "nmae: unknown key; did you mean 'name'?" in out
