"""Load config.toml once at start-up into frozen, validated dataclasses.

Every error names the file, the key and the fix, e.g.
``config.toml: mailboxes[0].port: expected an integer, got "abc"``.
"""
from __future__ import annotations

import difflib
import logging
import os
import re
import shlex
import stat
import subprocess
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "config.toml"
TLS_MODES = ("ssl", "starttls", "none")
LANGUAGES = ("ko", "en")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
AUTH_MODES = ("password", "oauth2")
OAUTH_PROVIDERS = ("microsoft", "google", "command")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SUMMARY_DELIVERIES = ("smtp", "imap")


@dataclass(frozen=True)
class Rep:
    """The rep whose voice the drafts are written in."""

    name: str
    email: str
    title: str = ""
    company: str = ""
    language: str = "ko"
    signature: str = ""
    phone: str = ""
    timezone: str = "Asia/Seoul"


@dataclass(frozen=True)
class Mailbox:
    """One IMAP account to read and to write drafts into."""

    name: str
    host: str
    username: str
    port: int = 993
    tls: str = "ssl"
    password: str | None = field(default=None, repr=False)
    password_env: str | None = None
    password_command: str | None = None
    folders: tuple[str, ...] = ("INBOX",)
    drafts_folder: str | None = None
    sent_folder: str | None = None
    timeout: float = 30.0
    allow_insecure: bool = False
    max_message_bytes: int = 25 * 1024 * 1024
    deadline: float = 600.0
    retries: int = 5
    auth: str = "password"
    oauth_provider: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    tenant: str = "common"
    authority: str | None = None
    token_endpoint: str | None = None
    auth_endpoint: str | None = None
    token_command: str | None = None
    token_cache: Path | None = None
    password_keyring: str | None = None
    rep: Rep | None = None  # [mailboxes.rep]: this mailbox's rep (missing keys from the top-level [rep])
    templates_dir: Path | None = None  # this mailbox's own templates (else [drafts] templates_dir)

    def resolve_password(self) -> str:
        """Return the password from the environment, a command, the keyring or the file (in that order).

        With ``auth = "oauth2"`` there is no password (``""``): the session fetches an
        access token (assistant.oauth) when it logs in, and never falls back to a password.
        """
        where = f"mailboxes[{self.name}]"
        if self.auth == "oauth2":
            return ""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"{where}.password_env: environment variable {self.password_env} is not set; "
                    f"export it in the cron job's environment"
                )
            return value
        if self.password_command:
            try:
                done = subprocess.run(
                    shlex.split(self.password_command),
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ConfigError(f"{where}.password_command: could not run it ({type(exc).__name__})") from None
            if done.returncode != 0:
                raise ConfigError(
                    f"{where}.password_command: exited with status {done.returncode}; run it by hand to see why"
                )
            return done.stdout.rstrip("\n")
        if self.password_keyring:
            return _keyring_password(self.password_keyring, self.username, where)
        if self.password is not None:
            return self.password
        raise ConfigError(f"{where}: no password; set password_env or password_command")


def _keyring_password(service: str, username: str, where: str) -> str:
    """The password stored in the system keyring under (``service``, ``username``); the ``keyring`` extra."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        raise ConfigError(f"{where}.password_keyring: needs the keyring package; run: pip install 'napgi-assistant[keyring]'") from None
    try:
        value = keyring.get_password(service, username)
    except KeyringError as exc:
        raise ConfigError(f"{where}.password_keyring: the keyring failed ({type(exc).__name__})") from None
    if value is None:
        raise ConfigError(
            f"{where}.password_keyring: no password for {username} under {service!r}; "
            f"store it with: keyring set {service} {username}"
        )
    return value


@dataclass(frozen=True)
class Parties:
    """Who is who, by mail domain."""

    domains: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drafting:
    """When drafts are due and where user templates live."""

    templates_dir: Path | None = None
    daily_update_hour: int = 9
    vendor_silence_business_days: int = 1
    unconfirmed_horizon_business_days: int = 3
    reply_window_days: int = 14


@dataclass(frozen=True)
class Extraction:
    """Extra order-reference patterns: (kind, regular expression)."""

    ref_patterns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Summary:
    """The weekly summary: recipients, when it is due, how it is delivered, what counts as at risk.

    ``weekday`` is 0 for Monday. With ``delivery = "imap"`` the message is appended to
    ``folder`` of ``mailbox`` (the first mailbox when unset); with ``"smtp"`` it is
    submitted to ``host``:``port``.
    """

    to: tuple[str, ...] = ()
    sender: str | None = None
    weekday: int = 0
    hour: int = 8
    delivery: str = "imap"
    mailbox: str | None = None
    folder: str = "INBOX"
    host: str = "localhost"
    port: int = 587
    tls: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_command: str | None = None
    timeout: float = 30.0
    allow_insecure: bool = False
    horizon_business_days: int = 5
    vendor_silence_business_days: int = 3

    def resolve_password(self) -> str:
        """The SMTP password from the environment or a command."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"summary.password_env: environment variable {self.password_env} is not set; "
                    f"export it in the cron job's environment"
                )
            return value
        if not self.password_command:
            raise ConfigError("summary.password_env: missing; set password_env (or password_command) for the SMTP login")
        try:
            done = subprocess.run(
                shlex.split(self.password_command), capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"summary.password_command: could not run it ({type(exc).__name__})") from None
        if done.returncode != 0:
            raise ConfigError(f"summary.password_command: exited with status {done.returncode}; run it by hand to see why")
        return done.stdout.rstrip("\n")


@dataclass(frozen=True)
class Config:
    """The whole configuration, validated."""

    path: Path
    rep: Rep
    database_url: str
    mailboxes: tuple[Mailbox, ...]
    vendors: Parties
    customers: Parties
    drafting: Drafting
    extraction: Extraction
    lock_file: Path
    summary: Summary = field(default_factory=Summary)
    log_file: Path | None = None

    def mailbox(self, name: str) -> Mailbox:
        for box in self.mailboxes:
            if box.name == name:
                return box
        raise ConfigError(f"{self.path.name}: no mailbox named {name!r}; known: {', '.join(b.name for b in self.mailboxes)}")

    def for_mailbox(self, box: Mailbox) -> Config:
        """The config as seen from ``box``: its own rep profile and templates when it has them."""
        if box.rep is None and box.templates_dir is None:
            return self
        drafting = replace(self.drafting, templates_dir=box.templates_dir) if box.templates_dir else self.drafting
        return replace(self, rep=box.rep or self.rep, drafting=drafting)


class _Table:
    """A TOML table with the path used in error messages; reads typed values."""

    def __init__(self, file: str, path: str, data: dict[str, Any], known: tuple[str, ...]):
        self.file, self.path, self.data = file, path, data
        for key in data:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                fix = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(known)}"
                raise ConfigError(f"{self.where(key)}: unknown key; {fix}")

    def where(self, key: str) -> str:
        return f"{self.file}: {self.path + '.' if self.path else ''}{key}"

    def fail(self, key: str, expected: str, value: Any) -> ConfigError:
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        return ConfigError(f"{self.where(key)}: expected {expected}, got {shown}")

    def str(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.where(key)}: missing; add {key} = \"...\"")
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise self.fail(key, "a string", value)
        return value

    def int(self, key: str, default: int, low: int | None = None, high: int | None = None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "an integer", value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(key, f"an integer from {low} to {high}", value)
        return value

    def float(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(key, "a positive number", value)
        return float(value)

    def bool(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            raise self.fail(key, " or ".join(f'"{c}"' for c in choices), value)
        return value

    def str_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "a list of non-empty strings", value)
        return tuple(value)

    def str_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail(key, "a table of strings", value)
        return dict(value)

    def table(self, key: str, known: tuple[str, ...]) -> _Table:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return _Table(self.file, f"{self.path + '.' if self.path else ''}{key}", value, known)


_TOP = ("rep", "database", "mailboxes", "vendors", "customers", "drafts", "extraction", "state", "summary", "logging")
_REP = ("name", "title", "company", "email", "language", "signature", "phone", "timezone")
_MAILBOX = (
    "name", "host", "port", "tls", "username", "password", "password_env", "password_command",
    "folders", "drafts_folder", "sent_folder", "timeout", "allow_insecure", "max_message_bytes",
    "deadline", "retries", "auth", "oauth_provider", "client_id", "client_secret_env", "tenant", "authority",
    "token_endpoint", "auth_endpoint", "token_command", "token_cache", "password_keyring", "rep", "templates_dir",
)
_PARTIES = ("domains", "names", "languages")
_DRAFTS = ("templates_dir", "daily_update_hour", "vendor_silence_business_days", "unconfirmed_horizon_business_days", "reply_window_days")
_SUMMARY = (
    "to", "from", "weekday", "hour", "delivery", "mailbox", "folder", "host", "port", "tls", "username",
    "password_env", "password_command", "timeout", "allow_insecure", "horizon_business_days", "vendor_silence_business_days",
)


def config_path(explicit: str | None) -> Path:
    """The file to load: ``--config``, else ``$ASSISTANT_CONFIG``, else ./config.toml."""
    return Path(explicit or os.environ.get("ASSISTANT_CONFIG") or DEFAULT_CONFIG)


def load_config(path: Path) -> Config:
    """Read and validate the configuration file at ``path``."""
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; copy the example config.toml there or pass --config PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    top = _Table(name, "", data, _TOP)
    base = path.resolve().parent
    _warn_if_readable_by_others(path, data)
    rep = _rep(top.table("rep", _REP))
    mailboxes = _mailboxes(top, base)
    return Config(
        path=path,
        rep=rep,
        database_url=_database_url(top.table("database", ("url",)), base),
        mailboxes=mailboxes,
        vendors=_parties(top.table("vendors", _PARTIES)),
        customers=_parties(top.table("customers", _PARTIES)),
        drafting=_drafting(top.table("drafts", _DRAFTS), base),
        extraction=_extraction(top.table("extraction", ("ref_patterns",))),
        lock_file=_lock_file(top.table("state", ("lock_file",)), base),
        summary=_summary(top.table("summary", _SUMMARY), rep, mailboxes),
        log_file=_log_file(top.table("logging", ("file",)), base),
    )


def _rep(t: _Table) -> Rep:
    timezone = t.str("timezone", "Asia/Seoul")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise t.fail("timezone", 'an IANA time zone such as "Asia/Seoul"', timezone) from None
    email = t.str("email", required=True)
    if "@" not in email:
        raise t.fail("email", "an e-mail address", email)
    return Rep(
        name=t.str("name", required=True),
        email=email.lower(),
        title=t.str("title", ""),
        company=t.str("company", ""),
        language=t.choice("language", "ko", LANGUAGES),
        signature=t.str("signature", ""),
        phone=t.str("phone", ""),
        timezone=timezone,
    )


def _database_url(t: _Table, base: Path) -> str:
    url = t.str("url", "")
    if not url:
        return f"sqlite:///{base / 'assistant.db'}"
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return f"sqlite:///{base / url[len('sqlite:///'):]}"
    if not url.startswith(("sqlite:", "postgresql")):
        raise t.fail("url", 'a "sqlite:///FILE" or "postgresql+psycopg://USER@HOST/DB" URL', url)
    return url


def _mailboxes(top: _Table, base: Path | None = None) -> tuple[Mailbox, ...]:
    entries = top.data.get("mailboxes", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{top.file}: mailboxes: missing; add at least one [[mailboxes]] table")
    boxes = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise top.fail(f"mailboxes[{i}]", "a table", entry)
        boxes.append(_mailbox(_Table(top.file, f"mailboxes[{i}]", entry, _MAILBOX), i, base, top))
    names = [b.name for b in boxes]
    if len(set(names)) != len(names):
        raise ConfigError(f"{top.file}: mailboxes: names must be unique, got {names}")
    return tuple(boxes)


def _mailbox(t: _Table, index: int, base: Path | None = None, top: _Table | None = None) -> Mailbox:
    tls = t.choice("tls", "ssl", TLS_MODES)
    host = t.str("host", required=True)
    port = t.int("port", 993 if tls == "ssl" else 143, 1, 65535)
    allow_insecure = t.bool("allow_insecure", False)
    if tls == "none" and host not in LOOPBACK_HOSTS and not allow_insecure:
        raise ConfigError(
            f"{t.where('tls')}: \"none\" sends the password in clear to {host}; "
            f"use \"ssl\" or \"starttls\", or set allow_insecure = true for this mailbox"
        )
    box = Mailbox(
        name=t.str("name", f"mailbox{index}"),
        host=host,
        port=port,
        tls=tls,
        username=t.str("username", required=True),
        password=t.str("password"),
        password_env=t.str("password_env"),
        password_command=t.str("password_command"),
        folders=t.str_list("folders", ("INBOX",)),
        drafts_folder=t.str("drafts_folder"),
        sent_folder=t.str("sent_folder"),
        timeout=t.float("timeout", 30.0),
        allow_insecure=allow_insecure,
        max_message_bytes=t.int("max_message_bytes", 25 * 1024 * 1024, 1024),
        deadline=t.float("deadline", 600.0),
        retries=t.int("retries", 5, 1, 100),
        password_keyring=t.str("password_keyring"),
        **_mailbox_profile(t, base, top),
        **_oauth_settings(t, index, base),
    )
    if box.auth == "oauth2":
        return box
    if box.password is not None and not (box.password_env or box.password_command):
        log.warning("%s: password is written in the config file; prefer password_env or password_command", t.where("password"))
    if not (box.password is not None or box.password_env or box.password_command or box.password_keyring):
        raise ConfigError(f"{t.where('password_env')}: missing; set password_env (or password_command) for this mailbox")
    if tls == "none" and host not in LOOPBACK_HOSTS:
        log.warning("%s: TLS is off for %s; the password travels in clear", t.where("tls"), host)
    return box


def _mailbox_profile(t: _Table, base: Path | None, top: _Table | None) -> dict[str, Any]:
    """A mailbox's own ``[mailboxes.rep]`` (keys it leaves out come from the top-level ``[rep]``) and ``templates_dir``."""
    profile: dict[str, Any] = {}
    if "rep" in t.data:
        own = t.table("rep", _REP)
        shared = top.data.get("rep", {}) if top is not None else {}
        merged = {**(shared if isinstance(shared, dict) else {}), **own.data}
        profile["rep"] = _rep(_Table(own.file, own.path, merged, _REP))
    folder = t.str("templates_dir")
    if folder:
        templates_dir = (base / folder) if base is not None else Path(folder)
        if not templates_dir.is_dir():
            raise ConfigError(f"{t.where('templates_dir')}: {templates_dir} is not a folder; create it or remove the key")
        profile["templates_dir"] = templates_dir
    return profile


def _oauth_settings(t: _Table, index: int, base: Path | None) -> dict[str, Any]:
    """``auth`` and, for ``auth = "oauth2"``, the provider's keys (see assistant/oauth.py)."""
    auth = t.choice("auth", "password", AUTH_MODES)
    if auth == "password":
        for key in ("oauth_provider", "client_id", "client_secret_env", "tenant", "authority", "token_endpoint",
                    "auth_endpoint", "token_command", "token_cache"):
            if key in t.data:
                raise ConfigError(f"{t.where(key)}: only used with auth = \"oauth2\"; add auth = \"oauth2\" or remove {key}")
        return {}
    for key in ("password", "password_env", "password_command", "password_keyring"):
        if key in t.data:
            raise ConfigError(
                f"{t.where(key)}: auth = \"oauth2\" never uses a password (no fallback); remove {key}"
            )
    if "oauth_provider" not in t.data:
        raise ConfigError(f"{t.where('oauth_provider')}: missing; add oauth_provider = \"microsoft\", \"google\" or \"command\"")
    provider = t.choice("oauth_provider", "command", OAUTH_PROVIDERS)
    if provider == "command":
        t.str("token_command", required=True)
    else:
        t.str("client_id", required=True)
    for key in ("token_endpoint", "auth_endpoint", "authority"):
        url = t.str(key)
        if url is None:
            continue
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
            raise t.fail(key, "an https:// URL (http:// only to loopback)", url)
    name = t.str("name", f"mailbox{index}")
    cache = t.str("token_cache")
    folder = base if base is not None else Path.cwd()
    return {
        "auth": auth,
        "oauth_provider": provider,
        "client_id": t.str("client_id"),
        "client_secret_env": t.str("client_secret_env"),
        "tenant": t.str("tenant", "common"),
        "authority": t.str("authority"),
        "token_endpoint": t.str("token_endpoint"),
        "auth_endpoint": t.str("auth_endpoint"),
        "token_command": t.str("token_command"),
        "token_cache": folder / (cache or f"{name}.token.json"),
    }


def _parties(t: _Table) -> Parties:
    domains = tuple(d.lower().lstrip("@") for d in t.str_list("domains"))
    languages = t.str_map("languages")
    for domain, lang in languages.items():
        if lang not in LANGUAGES:
            raise t.fail(f"languages.{domain}", '"ko" or "en"', lang)
    return Parties(domains=domains, names=t.str_map("names"), languages=languages)


def _drafting(t: _Table, base: Path) -> Drafting:
    folder = t.str("templates_dir")
    templates_dir = (base / folder) if folder else None
    if templates_dir is not None and not templates_dir.is_dir():
        raise ConfigError(f"{t.where('templates_dir')}: {templates_dir} is not a folder; create it or remove the key")
    return Drafting(
        templates_dir=templates_dir,
        daily_update_hour=t.int("daily_update_hour", 9, 0, 23),
        vendor_silence_business_days=t.int("vendor_silence_business_days", 1, 1, 30),
        unconfirmed_horizon_business_days=t.int("unconfirmed_horizon_business_days", 3, 0, 30),
        reply_window_days=t.int("reply_window_days", 14, 1, 36500),
    )


def _extraction(t: _Table) -> Extraction:
    entries = t.data.get("ref_patterns", [])
    if not isinstance(entries, list):
        raise t.fail("ref_patterns", "a list of {kind, pattern} tables", entries)
    patterns = []
    for i, entry in enumerate(entries):
        item = _Table(t.file, f"{t.path}.ref_patterns[{i}]", entry if isinstance(entry, dict) else {}, ("kind", "pattern"))
        pattern = item.str("pattern", required=True)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{item.where('pattern')}: not a valid regular expression ({exc})") from None
        patterns.append((item.str("kind", "custom"), pattern))
    return Extraction(ref_patterns=tuple(patterns))


def _summary(t: _Table, rep: Rep, mailboxes: tuple[Mailbox, ...]) -> Summary:
    to = t.str_list("to", (rep.email,))
    for address in to:
        if "@" not in address:
            raise t.fail("to", "a list of e-mail addresses", address)
    sender = t.str("from", rep.email)
    if "@" not in sender:
        raise t.fail("from", "an e-mail address", sender)
    weekday = t.choice("weekday", "mon", WEEKDAYS)
    delivery = t.choice("delivery", "imap", SUMMARY_DELIVERIES)
    mailbox = t.str("mailbox")
    if mailbox is not None and mailbox not in {b.name for b in mailboxes}:
        raise t.fail("mailbox", "the name of a [[mailboxes]] entry (" + ", ".join(b.name for b in mailboxes) + ")", mailbox)
    tls = t.choice("tls", "starttls", TLS_MODES)
    host = t.str("host", "localhost")
    allow_insecure = t.bool("allow_insecure", False)
    username = t.str("username")
    password_env, password_command = t.str("password_env"), t.str("password_command")
    if delivery == "smtp":
        if tls == "none" and username and host not in LOOPBACK_HOSTS and not allow_insecure:
            raise ConfigError(
                f"{t.where('tls')}: \"none\" sends the SMTP password in clear to {host}; "
                f"use \"ssl\" or \"starttls\", or set allow_insecure = true"
            )
        if username and not (password_env or password_command):
            raise ConfigError(f"{t.where('password_env')}: missing; set password_env (or password_command) for the SMTP login")
    return Summary(
        to=to,
        sender=sender,
        weekday=WEEKDAYS.index(weekday),
        hour=t.int("hour", 8, 0, 23),
        delivery=delivery,
        mailbox=mailbox,
        folder=t.str("folder", "INBOX"),
        host=host,
        port=t.int("port", {"ssl": 465, "starttls": 587, "none": 25}[tls], 1, 65535),
        tls=tls,
        username=username,
        password_env=password_env,
        password_command=password_command,
        timeout=t.float("timeout", 30.0),
        allow_insecure=allow_insecure,
        horizon_business_days=t.int("horizon_business_days", 5, 0, 30),
        vendor_silence_business_days=t.int("vendor_silence_business_days", 3, 1, 30),
    )


def _lock_file(t: _Table, base: Path) -> Path:
    return base / t.str("lock_file", "assistant.lock")


def _log_file(t: _Table, base: Path) -> Path | None:
    name = t.str("file")
    return base / name if name else None


def _warn_if_readable_by_others(path: Path, data: dict[str, Any]) -> None:
    has_password = any(isinstance(m, dict) and "password" in m for m in data.get("mailboxes", []) or [])
    if has_password and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s holds a password and is readable by other users; run: chmod 600 %s", path, path)
