"""A throwaway Dovecot IMAP server on a free loopback port, for the demo, the tests and the benchmark.

It writes its own configuration into a temporary folder (nothing under /etc is
used), runs ``dovecot -F`` in the foreground and injects mail with ``doveadm save``.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"

_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
mail_plugins =
passdb {{
  driver = static
  args = password=%u-pw
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
"""


class DovecotMissing(RuntimeError):
    """Dovecot is not installed; the message says how to install it."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """A running Dovecot with users whose password is their user name plus ``-pw``."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        oauth2_introspection_url: str | None = None,
        ssl_cert: Path | None = None,
        ssl_key: Path | None = None,
    ):
        if not (os.path.exists(DOVECOT) and os.path.exists(DOVEADM)):
            raise DovecotMissing("Dovecot is not installed; run: sudo apt-get install -y dovecot-imapd")
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="napgi-dovecot-"))
        self.port = free_port()
        self.conf = self.root / "dovecot.conf"
        self.process: subprocess.Popen | None = None
        self.users: list[str] = []
        # Optional, for the security tests: an OAuth2 passdb (XOAUTH2/OAUTHBEARER, tokens checked
        # at ``oauth2_introspection_url``) and an IMAPS listener on ``ssl_port`` with this cert/key.
        self.oauth2_introspection_url = oauth2_introspection_url
        self.ssl_cert, self.ssl_key = ssl_cert, ssl_key
        self.ssl_port = free_port() if ssl_cert else None

    def start(self) -> Dovecot:
        account = _mail_account()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for sub in ("mail", "home"):
            shutil.chown(self.root / sub, account.pw_uid, account.pw_gid)
        is_root = os.geteuid() == 0
        self.conf.write_text(
            _CONF.format(
                root=self.root,
                port=self.port,
                uid=account.pw_uid,
                gid=account.pw_gid,
                login_user="dovenull" if is_root else account.pw_name,
                internal_user="dovecot" if is_root else account.pw_name,
                internal_group="dovecot" if is_root else _group_name(account.pw_gid),
            )
        )
        self._add_oauth2_and_ssl()
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_ready()
        return self

    def _add_oauth2_and_ssl(self) -> None:
        text = self.conf.read_text()
        if self.oauth2_introspection_url:
            oauth_conf = self.root / "dovecot-oauth2.conf.ext"
            oauth_conf.write_text(
                f"introspection_url = {self.oauth2_introspection_url}\n"
                "introspection_mode = post\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
                "force_introspection = yes\n"
            )
            text = text.replace("auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\n")
            text += f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {oauth_conf}\n}}\n"
        if self.ssl_cert:
            text = text.replace("ssl = no\n", f"ssl = yes\nssl_cert = <{self.ssl_cert}\nssl_key = <{self.ssl_key}\n")
            text = text.replace(
                "  inet_listener imaps {\n    port = 0\n  }",
                f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.ssl_port}\n    ssl = yes\n  }}",
            )
        self.conf.write_text(text)

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start on port {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_user(self, user: str) -> str:
        """Create ``user`` and return its password."""
        password = f"{user}-pw"
        self.users.append(user)
        self.doveadm("mailbox", "create", "-u", user, "-s", "Drafts", "Sent", "Trash", check=False)
        return password

    def doveadm(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [DOVEADM, "-c", str(self.conf), *args],
            input=input,
            capture_output=True,
            check=check,
        )

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Store ``raw`` in ``user``'s ``folder`` as if it had just arrived."""
        self.doveadm("save", "-u", user, "-m", folder, input=raw)

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        self.process = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _mail_account() -> pwd.struct_passwd:
    """The system account that owns the mail: ``nobody`` when run as root, else the caller."""
    if os.geteuid() == 0:
        return pwd.getpwnam("nobody")
    return pwd.getpwuid(os.geteuid())


def _group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name
