"""OAuth2 sign-in (SASL XOAUTH2) against a real Dovecot whose oauth2 passdb asks a token server on loopback.

The same loopback server (tests/oauth_server.py) is the Google-style token endpoint, the
Microsoft (MSAL) authority over https, and Dovecot's token-introspection URL.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from assistant.config import load_config
from assistant.devserver import Dovecot
from assistant.errors import ConfigError, OAuthError
from assistant.oauth import REFRESH_MARGIN, TokenCache, access_token
from tests.conftest import DATA, make_account
from tests.oauth_server import OAuthServer, self_signed
from tests.test_poll_e2e import NOW, drafts_in_folder, load_demo

pytestmark = pytest.mark.imap
CLIENT_SECRET = "client-secret-value-1234"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("oauth-certs"))


@pytest.fixture(scope="module")
def tokens(certs):
    server = OAuthServer(cert=certs[0], key=certs[1]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(tokens):
    server = Dovecot(oauth2_introspection_url=f"{tokens.url}/introspect").start()
    yield server
    server.stop()


def use_oauth(acct, **keys) -> None:
    """Switch the account's config from a password to auth = "oauth2" with ``keys``."""
    lines = 'auth = "oauth2"\n' + "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())
    text = acct.config.read_text()
    assert 'password_env = "ASSISTANT_IMAP_PASSWORD"\n' in text
    acct.config.write_text(text.replace('password_env = "ASSISTANT_IMAP_PASSWORD"\n', lines))


def google(acct, tokens, **extra) -> None:
    use_oauth(
        acct, oauth_provider="google", client_id="napgi-test.apps.googleusercontent.com",
        client_secret_env="NAPGI_CLIENT_SECRET", token_endpoint=f"{tokens.url}/token",
        auth_endpoint=f"{tokens.url}/authorize", **extra,
    )


@pytest.fixture
def gaccount(oauth_dovecot, tokens, tmp_path, monkeypatch):
    """A mail user on the OAuth Dovecot, configured for Google-style OAuth2, already signed in."""
    monkeypatch.setenv("NAPGI_CLIENT_SECRET", CLIENT_SECRET)
    acct = make_account(oauth_dovecot, tmp_path)
    google(acct, tokens)
    TokenCache(tmp_path / "work.token.json").save({"refresh_token": tokens.grant(acct.user)})
    return acct


def logins(server: Dovecot, user: str, method: str) -> int:
    return len(re.findall(rf"Login: user=<{user}>, method={method}\b", server.log()))


def cache_of(acct) -> dict:
    return json.loads((acct.home / "work.token.json").read_text())


def test_poll_signs_in_with_xoauth2_refreshing_only_when_needed(gaccount, tokens, oauth_dovecot):
    load_demo(gaccount)
    refreshes, plain = tokens.calls["refresh"], logins(oauth_dovecot, gaccount.user, "PLAIN")
    done = gaccount.assistant("poll", "--now", NOW)
    assert "6 applied" in done.stdout and "4 drafts written" in done.stdout
    assert logins(oauth_dovecot, gaccount.user, "PLAIN") == plain  # the assistant never used a password
    assert len(drafts_in_folder(gaccount)) == 4
    plain = logins(oauth_dovecot, gaccount.user, "PLAIN")
    assert tokens.calls["refresh"] == refreshes + 1
    form = tokens.forms["/token"][-1]
    assert (form["grant_type"], form["client_id"], form["client_secret"]) == (
        "refresh_token", "napgi-test.apps.googleusercontent.com", CLIENT_SECRET)
    cache = gaccount.home / "work.token.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    first = cache_of(gaccount)
    assert first["expires_at"] > time.time() + 3000
    assert logins(oauth_dovecot, gaccount.user, "XOAUTH2") >= 1

    # still valid: reused, no refresh
    gaccount.assistant("poll", "--now", NOW)
    assert tokens.calls["refresh"] == refreshes + 1
    assert cache_of(gaccount)["access_token"] == first["access_token"]

    # about to expire (inside the margin): refreshed before it is used
    cache.write_text(json.dumps({**first, "expires_at": time.time() + REFRESH_MARGIN / 2}))
    gaccount.assistant("poll", "--now", NOW)
    assert tokens.calls["refresh"] == refreshes + 2
    assert cache_of(gaccount)["access_token"] != first["access_token"]
    assert logins(oauth_dovecot, gaccount.user, "PLAIN") == plain  # the assistant never used a password


def test_revoked_token_stops_the_mailbox_with_exit_8_and_no_password_fallback(gaccount, tokens, oauth_dovecot):
    gaccount.assistant("poll", "--now", NOW)
    tokens.revoke(gaccount.user)
    plain = logins(oauth_dovecot, gaccount.user, "PLAIN")
    # the right password is in the environment: it must not be tried
    assert gaccount.env["ASSISTANT_IMAP_PASSWORD"] == gaccount.password

    refused = gaccount.assistant("poll", "--now", NOW, check=False)
    assert refused.returncode == 8
    assert "refused the OAuth2 access token" in refused.stderr and "assistant auth work" in refused.stderr
    assert "access_token" not in cache_of(gaccount)  # dropped: the next run refreshes

    revoked = gaccount.assistant("poll", "--now", NOW, check=False)
    assert revoked.returncode == 8
    assert "invalid_grant" in revoked.stderr and "expired or was revoked" in revoked.stderr
    assert "Traceback" not in revoked.stderr
    assert logins(oauth_dovecot, gaccount.user, "PLAIN") == plain

    check = gaccount.assistant("check", check=False)
    assert check.returncode == 8 and "FAIL  mailbox work" in check.stdout


def test_no_refresh_token_says_to_run_auth(gaccount):
    (gaccount.home / "work.token.json").unlink()
    done = gaccount.assistant("poll", "--now", NOW, check=False)
    assert done.returncode == 8
    assert "no OAuth2 refresh token" in done.stderr and "run `assistant auth work`" in done.stderr


def test_token_endpoint_down_is_a_connection_problem_not_a_revocation(gaccount, tokens):
    text = gaccount.config.read_text().replace(tokens.url, "http://127.0.0.1:9")
    gaccount.config.write_text(text.replace('folders = ["INBOX"]\n', 'folders = ["INBOX"]\nretries = 1\n'))
    done = gaccount.assistant("poll", "--now", NOW, check=False)
    assert done.returncode == 3
    assert "could not refresh the access token" in done.stderr


def test_assistant_auth_google_installed_app_flow(oauth_dovecot, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("NAPGI_CLIENT_SECRET", CLIENT_SECRET)
    acct = make_account(oauth_dovecot, tmp_path)
    google(acct, tokens)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "auth", "work", "--no-browser"],
        env=acct.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = ""
        while not url.startswith(tokens.url):
            url = proc.stderr.readline().strip()
            assert url or proc.poll() is None, "assistant auth ended before printing the address"
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        assert query["scope"] == "https://mail.google.com/"
        assert (query["access_type"], query["code_challenge_method"], query["login_hint"]) == ("offline", "S256", acct.user)
        assert query["redirect_uri"].startswith("http://127.0.0.1:")
        # what the browser does after the user allowed access
        back = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': tokens.code_for(acct.user), 'state': query['state']})}"
        with urllib.request.urlopen(back, timeout=10) as response:
            assert response.status == 200
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "refresh token stored" in out
    form = tokens.forms["/token"][-1]
    assert form["grant_type"] == "authorization_code" and form["client_secret"] == CLIENT_SECRET
    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=").decode()
    assert challenge == query["code_challenge"]
    cache = acct.home / "work.token.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and json.loads(cache.read_text())["refresh_token"]
    load_demo(acct)
    assert "6 applied" in acct.assistant("poll", "--now", NOW).stdout


def test_assistant_auth_refuses_a_foreign_state(oauth_dovecot, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("NAPGI_CLIENT_SECRET", CLIENT_SECRET)
    acct = make_account(oauth_dovecot, tmp_path)
    google(acct, tokens)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "auth", "work", "--no-browser"],
        env=acct.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = ""
        while not url.startswith(tokens.url):
            url = proc.stderr.readline().strip()
            assert url or proc.poll() is None
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        forged = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': tokens.code_for(acct.user), 'state': 'forged'})}"
        urllib.request.urlopen(forged, timeout=10).close()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 8 and "does not match" in err
    assert not (acct.home / "work.token.json").exists()


def test_microsoft_device_code_sign_in_and_refresh_through_msal(oauth_dovecot, tokens, certs, tmp_path, monkeypatch):
    pytest.importorskip("msal")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs[0]))  # MSAL (requests) trusts the test authority
    acct = make_account(oauth_dovecot, tmp_path)
    use_oauth(acct, oauth_provider="microsoft", client_id="00000000-napgi-test", authority=f"{tokens.https_url}/contoso")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "auth", "work"], env=acct.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = ""
        while "ABCD-1234" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "no device code shown"
        tokens.approve_devices(acct.user)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "refresh token stored" in out
    device_form = tokens.forms["/contoso/oauth2/v2.0/devicecode"][-1]
    assert "https://outlook.office.com/IMAP.AccessAsUser.All" in device_form["scope"].split()
    assert "offline_access" in device_form["scope"].split()

    cache = acct.home / "work.token.json"
    cache.write_text(json.dumps({**json.loads(cache.read_text()), "expires_at": 0}))  # force a refresh
    refreshes = tokens.calls["refresh"]
    load_demo(acct)
    assert "6 applied" in acct.assistant("poll", "--now", NOW).stdout
    assert tokens.calls["refresh"] == refreshes + 1
    form = tokens.forms["/contoso/oauth2/v2.0/token"][-1]
    assert form["grant_type"] == "refresh_token" and form["client_id"] == "00000000-napgi-test"
    assert {"https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"} <= set(form["scope"].split())


def test_token_command(oauth_dovecot, tokens, tmp_path):
    acct = make_account(oauth_dovecot, tmp_path)
    token = tokens._issue(acct.user, with_refresh=False)["access_token"]
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho '{json.dumps({'access_token': token, 'expires_in': 3600})}'\n")
    script.chmod(0o700)
    use_oauth(acct, oauth_provider="command", token_command=str(script))
    load_demo(acct)
    assert "6 applied" in acct.assistant("poll", "--now", NOW).stdout
    assert logins(oauth_dovecot, acct.user, "XOAUTH2") >= 1
    script.write_text("#!/bin/sh\necho 'secret diagnostics' >&2\nexit 3\n")
    failed = acct.assistant("poll", "--now", NOW, check=False)
    assert failed.returncode == 8 and "token_command exited with status 3" in failed.stderr
    assert "secret diagnostics" not in failed.stderr + failed.stdout


# --- without a server: refresh timing with an injected clock, the cache, the config keys --------


def _box(tmp_path, tokens, **extra):
    (tmp_path / "config.toml").write_text(
        '[rep]\nname = "R"\nemail = "r@example.com"\n[[mailboxes]]\nname = "work"\nhost = "127.0.0.1"\n'
        'username = "u"\nauth = "oauth2"\noauth_provider = "google"\nclient_id = "cid"\n'
        f'token_endpoint = "{tokens.url}/token"\n' + "".join(f"{k} = {json.dumps(v)}\n" for k, v in extra.items())
    )
    return load_config(tmp_path / "config.toml").mailboxes[0]


def test_refresh_happens_before_expiry_by_the_clock(tmp_path, tokens):
    box = _box(tmp_path, tokens)
    assert box.token_cache == tmp_path / "work.token.json"
    t0 = 1_900_000_000.0
    TokenCache(box.token_cache).save({"refresh_token": tokens.grant("u"), "access_token": "cached", "expires_at": t0 + 1000})
    before = tokens.calls["refresh"]
    assert access_token(box, clock=lambda: t0) == "cached"
    assert access_token(box, clock=lambda: t0 + 1000 - REFRESH_MARGIN - 1) == "cached"
    assert tokens.calls["refresh"] == before
    fresh = access_token(box, clock=lambda: t0 + 1000 - REFRESH_MARGIN + 1)
    assert fresh != "cached" and tokens.calls["refresh"] == before + 1
    saved = json.loads(box.token_cache.read_text())
    assert saved["access_token"] == fresh and saved["expires_at"] == t0 + 1000 - REFRESH_MARGIN + 1 + tokens.lifetime


def test_a_token_cache_readable_by_others_is_warned_about(tmp_path, tokens, caplog):
    box = _box(tmp_path, tokens, token_cache="state/tokens.json")
    assert box.token_cache == tmp_path / "state" / "tokens.json"
    TokenCache(box.token_cache).save({"refresh_token": "x", "access_token": "y", "expires_at": time.time() + 3600})
    assert stat.S_IMODE(box.token_cache.stat().st_mode) == 0o600
    os.chmod(box.token_cache, 0o644)
    with caplog.at_level(logging.WARNING):
        assert access_token(box) == "y"
    assert "readable by other users" in caplog.text and "chmod 600" in caplog.text


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"password_env": "X"}, "never uses a password"),
        ({"client_id": None}, "client_id: missing"),
        ({"token_endpoint": "http://tokens.example.com/token"}, "https://"),
        ({"oauth_provider": "yahoo"}, 'expected "microsoft" or "google" or "command"'),
    ],
)
def test_oauth_config_is_checked(tmp_path, extra, message):
    keys = {"auth": "oauth2", "oauth_provider": "google", "client_id": "cid", **extra}
    body = "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items() if v is not None)
    (tmp_path / "config.toml").write_text(
        f'[rep]\nname = "R"\nemail = "r@example.com"\n[[mailboxes]]\nhost = "imap.example.com"\nusername = "u"\n{body}'
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path / "config.toml")


def test_oauth_keys_need_auth_oauth2(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[rep]\nname = "R"\nemail = "r@example.com"\n[[mailboxes]]\nhost = "imap.example.com"\nusername = "u"\n'
        'password_env = "P"\ntoken_command = "x"\n'
    )
    with pytest.raises(ConfigError, match='only used with auth = "oauth2"'):
        load_config(tmp_path / "config.toml")


def test_oauth_error_has_its_own_exit_code():
    assert OAuthError.exit_code == 8


def test_tokens_and_client_secrets_appear_nowhere(oauth_dovecot, tokens, tmp_path, monkeypatch):
    """Sentinel access token (refused by the server), refresh token and client secret (refused by the
    token endpoint): at -vv, not in stdout, stderr or the log file, plain or inside the XOAUTH2 string."""
    sentinel = "S3ntinel-Token-4b1d"
    acct = make_account(oauth_dovecot, tmp_path)
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho {sentinel}-access\n")
    script.chmod(0o700)
    use_oauth(acct, oauth_provider="command", token_command=str(script))
    acct.config.write_text(acct.config.read_text() + '\n[logging]\nfile = "assistant.log"\n')
    outputs = []
    for args in (["-vv", "poll"], ["-vv", "check"], ["-vv", "orders", "--json"]):
        done = acct.assistant(*args, check=False)
        outputs += [done.stdout, done.stderr]
        assert done.returncode == (0 if "orders" in args else 8), done.stderr
    assert "refused the OAuth2 access token" in outputs[1]

    command = f'auth = "oauth2"\noauth_provider = "command"\ntoken_command = {json.dumps(str(script))}\n'
    acct.config.write_text(acct.config.read_text().replace(command, 'password_env = "ASSISTANT_IMAP_PASSWORD"\n'))
    google(acct, tokens)
    monkeypatch.setenv("NAPGI_CLIENT_SECRET", f"{sentinel}-client")
    TokenCache(tmp_path / "work.token.json").save({"refresh_token": f"{sentinel}-refresh"})
    for args in (["-vv", "poll"], ["-vv", "check"]):
        done = acct.assistant(*args, check=False)
        outputs += [done.stdout, done.stderr]
        assert done.returncode == 8, done.stderr
    assert "invalid_grant" in outputs[-3] and "invalid_grant" in outputs[-2]  # poll stderr, check stdout
    xoauth2 = base64.b64encode(f"user={acct.user}\1auth=Bearer {sentinel}-access\1\1".encode()).decode()
    for text in [*outputs, (tmp_path / "assistant.log").read_text()]:
        assert sentinel not in text
        assert xoauth2[8:40] not in text


# --- provider quirks (a stub server: the real ones cannot run here) --------------------------


class _StubClient:
    """LIST and CAPABILITY as Gmail (localised [Gmail]/ folders) or Microsoft 365 (no SPECIAL-USE, no CONDSTORE) answer."""

    def __init__(self, folders, capabilities):
        self.folders, self.caps, self.logins = folders, capabilities, []

    def login(self, user, password):
        self.logins.append(("LOGIN", user))

    def oauth2_login(self, user, token):
        self.logins.append(("XOAUTH2", user))

    def capabilities(self):
        return self.caps

    def list_folders(self):
        return self.folders

    def logout(self):
        pass

    def shutdown(self):
        pass


GMAIL_KO = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasNoChildren",), b"/", "Drafts"),  # a user label that happens to be called Drafts
    ((b"\\HasChildren", b"\\Noselect"), b"/", "[Gmail]"),
    ((b"\\HasNoChildren", b"\\All"), b"/", "[Gmail]/전체보관함"),
    ((b"\\Drafts", b"\\HasNoChildren"), b"/", "[Gmail]/임시보관함"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "[Gmail]/보낸편지함"),
]
M365 = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasNoChildren", b"\\Drafts"), b"/", "Drafts"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "Sent Items"),
]
M365_CAPS = (b"IMAP4", b"IMAP4REV1", b"AUTH=PLAIN", b"AUTH=XOAUTH2", b"SASL-IR", b"UIDPLUS", b"MOVE", b"ID", b"UNSELECT",
             b"CHILDREN", b"IDLE", b"NAMESPACE", b"LITERAL+")


def _session(tmp_path, tokens, stub):
    from assistant.mailbox import MailboxSession

    box = _box(tmp_path, tokens)
    TokenCache(box.token_cache).save({"refresh_token": "r", "access_token": "a", "expires_at": time.time() + 3600})

    class Stubbed(MailboxSession):
        client_factory = staticmethod(lambda box: stub)

    return Stubbed(box, box.resolve_password())


def test_gmail_drafts_and_sent_found_by_special_use_not_by_name(tmp_path, tokens):
    stub = _StubClient(GMAIL_KO, (b"IMAP4REV1", b"X-GM-EXT-1", b"SPECIAL-USE", b"AUTH=XOAUTH2"))
    session = _session(tmp_path, tokens, stub)
    assert stub.logins == [("XOAUTH2", "u")]
    assert session.special_folder("\\Drafts", None) == "[Gmail]/임시보관함"
    assert session.special_folder("\\Sent", None) == "[Gmail]/보낸편지함"


def test_microsoft_365_without_special_use_or_condstore_in_capability(tmp_path, tokens):
    stub = _StubClient(M365, M365_CAPS)
    session = _session(tmp_path, tokens, stub)
    assert "SPECIAL-USE" not in session._capabilities and "CONDSTORE" not in session._capabilities
    assert session.special_folder("\\Drafts", None) == "Drafts"
    assert session.special_folder("\\Sent", None) == "Sent Items"
    bare = _StubClient([(f, d, n) for (_, d, n), f in zip(M365, [(b"\\HasNoChildren",)] * 3)], M365_CAPS)
    session = _session(tmp_path, tokens, bare)
    assert session.special_folder("\\Drafts", None) == "Drafts"  # no flags at all: by its usual name
    assert session.special_folder("\\Sent", "Sent Items") == "Sent Items"  # or as configured


def test_a_message_in_several_gmail_labels_is_processed_once(account):
    """Gmail shows one message in every label's folder; it is handled once (same Message-ID)."""
    client = account.imap()
    client.create_folder("Orders")
    client.logout()
    text = account.config.read_text().replace('folders = ["INBOX"]', 'folders = ["INBOX", "Orders"]')
    account.config.write_text(text)
    for path in sorted((DATA / "demo").glob("*.eml")):
        account.deliver(path.read_bytes(), path.name.split("_")[1])
        if "_INBOX_" in path.name:
            account.deliver(path.read_bytes(), "Orders")
    done = account.assistant("poll", "--now", NOW)
    assert "6 applied" in done.stdout and "4 drafts written" in done.stdout
    assert len(drafts_in_folder(account)) == 4
