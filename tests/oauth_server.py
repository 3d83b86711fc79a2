"""A small OAuth2 authorisation server on loopback, for the tests.

One ``http.server`` in a thread plays every part the assistant and Dovecot talk to:

- ``POST /introspect`` (Dovecot's oauth2 passdb, ``introspection_mode = post``): a token
  it issued and has not revoked or let expire -> ``{"active": true, "username": ...}``.
- ``POST /token`` (Google-style token endpoint; also ``/<tenant>/oauth2/v2.0/token`` for
  MSAL): ``refresh_token``, ``authorization_code`` and device-code grants.
- ``GET /<tenant>/v2.0/.well-known/openid-configuration`` and ``POST
  /<tenant>/oauth2/v2.0/devicecode`` for MSAL (which insists on https: start the server
  with a certificate).

It counts what it was asked (``calls``), remembers each form it got (``forms``), and can
revoke a user's tokens, so tests can assert a refresh happened, or that a revoked token
stops the mailbox. Started with ``cert``/``key`` it also listens with TLS on
``https_port`` (same tokens), for MSAL.
"""
from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class OAuthServer:
    def __init__(self, *, cert: Path | None = None, key: Path | None = None, lifetime: int = 3600):
        self.lifetime = lifetime
        self.access: dict[str, tuple[str, float]] = {}  # token -> (user, expires_at)
        self.refresh: dict[str, str] = {}  # refresh token -> user
        self.codes: dict[str, str] = {}  # authorization code -> user
        self.devices: dict[str, str] = {}  # device code -> user
        self.pending: Counter = Counter()
        self.revoked: set[str] = set()
        self.calls: Counter = Counter()
        self.forms: dict[str, list[dict]] = defaultdict(list)
        self.lock = threading.Lock()
        self.servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))]
        self.port = self.servers[0].server_address[1]
        self.https_port = None
        if cert:  # a second listener with TLS, same tokens (MSAL only talks https)
            httpsd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            httpsd.socket = context.wrap_socket(httpsd.socket, server_side=True)
            self.servers.append(httpsd)
            self.https_port = httpsd.server_address[1]
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in self.servers]

    # -- what tests use --------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def start(self) -> OAuthServer:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> OAuthServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def grant(self, user: str) -> str:
        """A refresh token for ``user``, as if the user had consented."""
        token = f"rt-{user}-{secrets.token_hex(8)}"
        self.refresh[token] = user
        return token

    def code_for(self, user: str) -> str:
        code = f"code-{secrets.token_hex(6)}"
        self.codes[code] = user
        return code

    def approve_devices(self, user: str) -> None:
        """Mark every device code issued so far as approved by ``user``."""
        for code in list(self.devices):
            self.devices[code] = user

    def revoke(self, user: str) -> None:
        """Revoke every refresh and access token of ``user``."""
        self.revoked.add(user)

    # -- protocol ----------------------------------------------------------------------------

    def _issue(self, user: str, with_refresh: bool) -> dict:
        token = f"at-{user}-{secrets.token_hex(12)}"
        self.access[token] = (user, time.time() + self.lifetime)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime, "scope": "mail"}
        if with_refresh:
            answer["refresh_token"] = self.grant(user)
        return answer

    def introspect(self, form: dict) -> tuple[int, dict]:
        user, expires = self.access.get(form.get("token", ""), ("", 0.0))
        if not user or user in self.revoked or expires < time.time():
            return 200, {"active": False}
        return 200, {"active": True, "username": user, "scope": "mail"}

    def token(self, form: dict) -> tuple[int, dict]:
        grant = form.get("grant_type")
        if grant == "refresh_token":
            self.calls["refresh"] += 1
            user = self.refresh.get(form.get("refresh_token", ""))
            if not user or user in self.revoked:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            return 200, self._issue(user, with_refresh=True)
        if grant == "authorization_code":
            self.calls["code"] += 1
            user = self.codes.pop(form.get("code", ""), None)
            if not user or not form.get("code_verifier"):
                return 400, {"error": "invalid_grant"}
            return 200, self._issue(user, with_refresh=True)
        if grant in ("urn:ietf:params:oauth:grant-type:device_code", "device_code"):
            self.calls["device_poll"] += 1
            code = form.get("device_code", "")
            if code not in self.devices:
                return 400, {"error": "expired_token"}
            if not self.devices[code]:
                return 400, {"error": "authorization_pending"}
            return 200, self._issue(self.devices.pop(code), with_refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def device_code(self, form: dict) -> tuple[int, dict]:
        self.calls["device"] += 1
        code = f"dc-{secrets.token_hex(6)}"
        self.devices[code] = ""
        return 200, {
            "device_code": code,
            "user_code": "ABCD-1234",
            "verification_uri": f"{self.https_url}/device",
            "expires_in": 120,
            "interval": 1,
            "message": f"To sign in, open {self.https_url}/device and enter the code ABCD-1234.",
        }

    def openid_configuration(self, tenant: str) -> dict:
        base = f"{self.https_url}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        }


def _handler(server: OAuthServer):
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            server.calls[f"GET {path}"] += 1
            parts = path.strip("/").split("/")
            if path.endswith("/v2.0/.well-known/openid-configuration"):
                return self._reply(200, server.openid_configuration(parts[0]))
            return self._reply(404, {"error": "not_found"})

        def do_POST(self):  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
            with server.lock:
                server.forms[path].append(form)
                if path == "/introspect":
                    server.calls["introspect"] += 1
                    return self._reply(*server.introspect(form))
                if path == "/token" or path.endswith("/oauth2/v2.0/token"):
                    return self._reply(*server.token(form))
                if path.endswith("/oauth2/v2.0/devicecode"):
                    return self._reply(*server.device_code(form))
            return self._reply(404, {"error": "not_found"})

        def log_message(self, *args):
            pass

    return Handler


def self_signed(folder: Path, name: str = "localhost", san: str = "DNS:localhost") -> tuple[Path, Path]:
    """A throwaway self-signed certificate and key (valid one day) in ``folder``."""
    import subprocess

    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-days", "1",
         "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    key.chmod(0o600)
    return cert, key
