"""OAuth2 sign-in for IMAP (SASL XOAUTH2): access tokens from a refresh token, cached with mode 0600.

Three providers, chosen by a mailbox's ``oauth_provider``:

- ``microsoft``: Microsoft 365 / Outlook through MSAL (imported only when used; the
  ``oauth`` extra). Scope ``https://outlook.office.com/IMAP.AccessAsUser.All`` plus
  ``offline_access``, which MSAL adds itself (it refuses to be given it).
- ``google``: Gmail through Google's OAuth2 token endpoint (plain HTTPS POST, urllib),
  scope ``https://mail.google.com/``. ``token_endpoint`` and ``auth_endpoint`` can be
  pointed elsewhere (the tests point them at a server on loopback).
- ``command``: ``token_command`` prints an access token (or JSON with ``access_token``);
  nothing is cached, the command owns the refresh.

The cache file (``token_cache``, default ``<config folder>/<mailbox>.token.json``) holds
the refresh token, the current access token and when it expires. It is written
atomically with mode 0600 and a warning is logged when it is readable by others.
The access token is refreshed when fewer than ``REFRESH_MARGIN`` seconds are left.

A refresh token that the provider refuses (expired, revoked: ``invalid_grant``), no
refresh token at all, or an access token the IMAP server refuses raise ``OAuthError``
(exit code 8): that mailbox stops and there is never a fallback to a password.
A provider that cannot be reached raises ``ConnectionLost`` (the poll retries).
No message built here contains a token or a client secret.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import shlex
import stat
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Callable

from assistant.config import Mailbox
from assistant.errors import ConfigError, ConnectionLost, MailboxError, OAuthError

log = logging.getLogger(__name__)

MICROSOFT_SCOPES = ("https://outlook.office.com/IMAP.AccessAsUser.All",)  # MSAL adds offline_access
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
GOOGLE_SCOPE = "https://mail.google.com/"
GOOGLE_TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_ENDPOINT = "https://accounts.google.com/o/oauth2/v2/auth"
REFRESH_MARGIN = 300.0
HTTP_TIMEOUT = 30.0
CONSENT_TIMEOUT = 600.0

Clock = Callable[[], float]
Echo = Callable[[str], None]


def _sign_in_again(box: Mailbox) -> str:
    return f"run `assistant auth {box.name}` to sign in again"


class TokenCache:
    """One mailbox's tokens in a JSON file only its owner may read (0600), replaced atomically."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return {}
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s holds OAuth2 tokens and is readable by other users; run: chmod 600 %s", self.path, self.path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("%s: not a readable token cache; ignoring it", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.")  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def lock(self):
        from filelock import FileLock

        return FileLock(f"{self.path}.lock")


def cache_for(box: Mailbox) -> TokenCache:
    if box.token_cache is None:
        raise ConfigError(f"mailboxes[{box.name}].token_cache: not set")
    return TokenCache(box.token_cache)


def access_token(box: Mailbox, clock: Clock = time.time) -> str:
    """A valid access token for ``box``: the cached one, or a fresh one from the refresh token."""
    if box.oauth_provider == "command":
        return _from_command(box)
    cache = cache_for(box)
    with cache.lock():
        data = cache.load()
        now = clock()
        token = data.get("access_token")
        if token and float(data.get("expires_at", 0)) - REFRESH_MARGIN > now:
            return token
        refresh = data.get("refresh_token")
        if not refresh:
            raise OAuthError(f"{box.name}: no OAuth2 refresh token in {cache.path}; run `assistant auth {box.name}` to sign in")
        result = provider_for(box).refresh(refresh)
        try:
            data = _merge(data, result, now, box.oauth_provider)
        except OAuthError as exc:
            raise OAuthError(f"{box.name}: {exc}; {_sign_in_again(box)}") from None
        cache.save(data)
    log.info("%s: OAuth2 access token refreshed (valid for %ds)", box.name, int(data["expires_at"] - now))
    return data["access_token"]


def refused(box: Mailbox) -> OAuthError:
    """The IMAP server refused the access token: forget it (the next run refreshes) and say what to do."""
    if box.oauth_provider != "command" and box.token_cache is not None:
        cache = TokenCache(box.token_cache)
        with cache.lock():
            data = cache.load()
            if data.pop("access_token", None) is not None:
                data.pop("expires_at", None)
                cache.save(data)
    return OAuthError(
        f"{box.name} ({box.host}:{box.port}): the server refused the OAuth2 access token for {box.username} "
        f"(expired or revoked); the next run fetches a new one; if this repeats, {_sign_in_again(box)}"
    )


def sign_in(box: Mailbox, echo: Echo, clock: Clock = time.time, open_browser: bool = True) -> Path | None:
    """First consent for ``box`` (device code for Microsoft, installed-app flow for Google); store the refresh token.

    Returns the cache file written (None for ``token_command``, which has nothing to store)."""
    if box.auth != "oauth2":
        raise ConfigError(f"mailboxes[{box.name}].auth: is \"password\"; set auth = \"oauth2\" to sign in with OAuth2")
    if box.oauth_provider == "command":
        echo(f"{box.name}: tokens come from token_command; nothing to store. Testing it...")
        _from_command(box)
        echo(f"{box.name}: token_command printed a token")
        return None
    cache = cache_for(box)
    result = provider_for(box).consent(echo, open_browser)
    if not result.get("refresh_token"):
        raise OAuthError(f"{box.name}: the provider gave no refresh token (was offline access granted?); {_sign_in_again(box)}")
    with cache.lock():
        cache.save(_merge({}, result, clock(), box.oauth_provider))
    return cache.path


def _merge(data: dict, result: dict, now: float, provider: str) -> dict:
    token = result.get("access_token")
    if not token:
        raise OAuthError("the provider's answer has no access_token")
    try:
        lifetime = float(result.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600.0
    return {
        **data,
        "provider": provider,
        "access_token": token,
        "expires_at": now + lifetime,
        "refresh_token": result.get("refresh_token") or data.get("refresh_token"),
        "refreshed_at": now,
    }


# --- providers -------------------------------------------------------------------------


def provider_for(box: Mailbox):
    if box.oauth_provider == "google":
        return GoogleProvider(box)
    if box.oauth_provider == "microsoft":
        return MicrosoftProvider(box)
    raise ConfigError(f"mailboxes[{box.name}].oauth_provider: no token refresh for {box.oauth_provider!r}")


def _client_secret(box: Mailbox) -> str | None:
    if not box.client_secret_env:
        return None
    value = os.environ.get(box.client_secret_env)
    if value is None:
        raise ConfigError(
            f"mailboxes[{box.name}].client_secret_env: environment variable {box.client_secret_env} is not set; "
            f"export it in the cron job's environment"
        )
    return value


class GoogleProvider:
    """Gmail: Google's token endpoint (refresh) and the installed-app loopback flow with PKCE (consent)."""

    def __init__(self, box: Mailbox):
        self.box = box
        self.token_endpoint = box.token_endpoint or GOOGLE_TOKEN_ENDPOINT
        self.auth_endpoint = box.auth_endpoint or GOOGLE_AUTH_ENDPOINT

    def refresh(self, refresh_token: str) -> dict:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.box.client_id}
        secret = _client_secret(self.box)
        if secret:
            form["client_secret"] = secret
        return self._post(form, "refresh the access token")

    def consent(self, echo: Echo, open_browser: bool = True) -> dict:
        verifier = secrets.token_urlsafe(64)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(24)
        with _RedirectCatcher() as catcher:
            query = {
                "client_id": self.box.client_id,
                "redirect_uri": catcher.uri,
                "response_type": "code",
                "scope": GOOGLE_SCOPE,
                "access_type": "offline",
                "prompt": "consent",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": state,
                "login_hint": self.box.username,
            }
            url = f"{self.auth_endpoint}?{urllib.parse.urlencode(query)}"
            echo(
                f"{self.box.name}: open this address in a browser on this machine, sign in as {self.box.username} "
                f"and allow access (waiting up to {int(CONSENT_TIMEOUT / 60)} minutes):\n{url}"
            )
            if open_browser:
                try:
                    import webbrowser

                    webbrowser.open(url)
                except Exception:  # noqa: BLE001 - no browser is fine, the address is printed
                    pass
            params = catcher.wait(CONSENT_TIMEOUT)
        if params is None:
            raise OAuthError(f"{self.box.name}: no answer from the browser in time; {_sign_in_again(self.box)}")
        if params.get("state") != state:
            raise OAuthError(f"{self.box.name}: the browser's answer does not match this sign-in (state); try again")
        if "code" not in params:
            raise OAuthError(f"{self.box.name}: access was not granted ({_clean(params.get('error', 'no code'))})")
        form = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": catcher.uri,
            "client_id": self.box.client_id,
            "code_verifier": verifier,
        }
        secret = _client_secret(self.box)
        if secret:
            form["client_secret"] = secret
        return self._post(form, "exchange the sign-in code")

    def _post(self, form: dict, what: str) -> dict:
        body = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            self.token_endpoint, data=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        )
        where = f"{self.box.name}: {urllib.parse.urlsplit(self.token_endpoint).netloc}"
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read().decode("utf-8", "replace"))
            except ValueError:
                answer = {}
            error = _clean(str(answer.get("error", "")))
            if exc.code in (400, 401) or error:
                raise OAuthError(
                    f"{where}: could not {what}: {error or f'HTTP {exc.code}'}"
                    + (" (the refresh token expired or was revoked)" if error == "invalid_grant" else "")
                    + f"; {_sign_in_again(self.box)}"
                ) from None
            raise MailboxError(f"{where}: could not {what}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectionLost(f"{where}: could not {what}: {_clean(str(reason))}") from None
        except ValueError:
            raise MailboxError(f"{where}: could not {what}: the answer is not JSON") from None


class MicrosoftProvider:
    """Microsoft 365 through MSAL: refresh with the stored refresh token, first consent by device code."""

    def __init__(self, box: Mailbox):
        self.box = box

    def app(self):
        try:
            import msal
        except ImportError:
            raise ConfigError(
                f"mailboxes[{self.box.name}].oauth_provider: \"microsoft\" needs MSAL; "
                f"run: pip install 'napgi-assistant[oauth]' (or pip install msal)"
            ) from None
        authority = self.box.authority or MICROSOFT_AUTHORITY.format(tenant=self.box.tenant)
        kwargs = {"instance_discovery": False} if self.box.authority else {}
        try:
            return msal.PublicClientApplication(self.box.client_id, authority=authority, **kwargs)
        except ValueError as exc:
            raise MailboxError(f"{self.box.name}: Microsoft sign-in authority {authority}: {_clean(str(exc), 200)}") from None
        except Exception as exc:  # noqa: BLE001 - requests' network errors, without importing requests
            raise ConnectionLost(f"{self.box.name}: cannot reach {authority}: {type(exc).__name__}") from None

    def refresh(self, refresh_token: str) -> dict:
        app = self.app()
        try:
            result = app.acquire_token_by_refresh_token(refresh_token, scopes=list(MICROSOFT_SCOPES))
        except Exception as exc:  # noqa: BLE001 - network errors from requests
            raise ConnectionLost(f"{self.box.name}: cannot reach Microsoft's token endpoint: {type(exc).__name__}") from None
        return self._checked(result, "refresh the access token")

    def consent(self, echo: Echo, open_browser: bool = True) -> dict:
        app = self.app()
        flow = app.initiate_device_flow(scopes=list(MICROSOFT_SCOPES))
        if "user_code" not in flow:
            raise OAuthError(f"{self.box.name}: could not start the device-code sign-in: {_clean(str(flow.get('error', flow)))}")
        echo(f"{self.box.name}: sign in as {self.box.username}. {flow.get('message') or flow['verification_uri'] + ' code ' + flow['user_code']}")
        return self._checked(app.acquire_token_by_device_flow(flow), "finish the device-code sign-in")

    def _checked(self, result: dict, what: str) -> dict:
        if "access_token" in result:
            return result
        error = _clean(str(result.get("error", "unknown error")))
        hint = " (the refresh token expired or was revoked)" if error in ("invalid_grant", "interaction_required") else ""
        raise OAuthError(f"{self.box.name}: could not {what}: {error}{hint}; {_sign_in_again(self.box)}")


def _from_command(box: Mailbox) -> str:
    """Run ``token_command``; its stdout is the token or JSON with ``access_token``. Output is never shown."""
    where = f"mailboxes[{box.name}].token_command"
    try:
        done = subprocess.run(shlex.split(box.token_command or ""), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{where}: could not run it ({type(exc).__name__})") from None
    if done.returncode != 0:
        raise OAuthError(
            f"{box.name}: token_command exited with status {done.returncode} (no access token); run it by hand to see why, "
            f"then `assistant auth {box.name}` to test it"
        )
    out = done.stdout.strip()
    if out.startswith("{"):
        try:
            out = str(json.loads(out).get("access_token") or "")
        except (ValueError, AttributeError):
            out = ""
    if not out or any(c.isspace() for c in out):
        raise OAuthError(f"{box.name}: token_command printed no usable access token; `assistant auth {box.name}` tests it")
    return out


def _clean(text: str, limit: int = 80) -> str:
    """A provider's error code as a short single line (provider text is not trusted to be short or clean)."""
    return " ".join(text.split())[:limit]


class _RedirectCatcher:
    """A one-shot HTTP server on 127.0.0.1 that receives the browser's redirect with ``code`` and ``state``."""

    def __init__(self):
        self.params: dict | None = None
        self._done = threading.Event()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if "code" not in query and "error" not in query:
                    self.send_response(404)
                    self.end_headers()
                    return
                catcher.params = {k: v[0] for k, v in query.items()}
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write("Signed in; you can close this window and return to the terminal.\n".encode())
                catcher._done.set()

            def log_message(self, *args):  # keep the code out of any log
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _RedirectCatcher:
        self.thread.start()
        return self

    def wait(self, timeout: float) -> dict | None:
        self._done.wait(timeout)
        return self.params

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
