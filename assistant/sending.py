"""Delivering the weekly summary: SMTP submission (smtplib) or an APPEND into the rep's mailbox.

Every failure comes out as ``DeliveryError`` naming the server and the reason, never
the password.
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage

from assistant.config import Config
from assistant.errors import DeliveryError, MailboxError
from assistant.mailbox import MailboxSession
from assistant.summary_mail import SUMMARY_HEADER


def deliver(message: EmailMessage, config: Config, now: datetime) -> str:
    """Deliver ``message`` as ``[summary] delivery`` says; return where it went, for the report."""
    if config.summary.delivery == "smtp":
        return send_smtp(message, config)
    return append_imap(message, config, now)


def send_smtp(message: EmailMessage, config: Config) -> str:
    """Submit ``message`` to the configured SMTP server; all recipients refused is an error."""
    rules = config.summary
    where = f"SMTP {rules.host}:{rules.port}"
    password = rules.resolve_password() if rules.username else None
    context = ssl.create_default_context()
    try:
        if rules.tls == "ssl":
            client = smtplib.SMTP_SSL(rules.host, rules.port, timeout=rules.timeout, context=context)
        else:
            client = smtplib.SMTP(rules.host, rules.port, timeout=rules.timeout)
        with client:
            if rules.tls == "starttls":
                client.starttls(context=context)
            if rules.username:
                client.login(rules.username, password)
            refused = client.send_message(message, from_addr=rules.sender or config.rep.email, to_addrs=list(rules.to))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{where}: login refused for {rules.username} ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{where}: every recipient was refused: {', '.join(exc.recipients)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{where}: {_describe(exc, password)}") from None
    sent_to = [address for address in rules.to if address not in refused]
    note = f" (refused: {', '.join(refused)})" if refused else ""
    return f"{where} to {', '.join(sent_to)}{note}"


def append_imap(message: EmailMessage, config: Config, now: datetime) -> str:
    """Append ``message`` to ``[summary] folder`` unless a summary of that week is already there."""
    rules = config.summary
    box = config.mailbox(rules.mailbox) if rules.mailbox else config.mailboxes[0]
    where = f"IMAP {box.name} ({box.host}:{box.port}) {rules.folder}"
    try:
        with MailboxSession(box, box.resolve_password()) as imap:
            if imap.find_by_header(rules.folder, SUMMARY_HEADER, message[SUMMARY_HEADER]):
                return f"{where} (already there)"
            imap.append_message(rules.folder, bytes(message), (), now)
    except MailboxError as exc:
        raise DeliveryError(f"{where}: {exc}") from None
    return where


def _describe(exc: BaseException, *secrets: str | None) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError):
        text = "connection refused"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
