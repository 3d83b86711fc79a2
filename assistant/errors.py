"""The project's own exceptions; errors from outside libraries are wrapped in these."""
from __future__ import annotations


class AssistantError(Exception):
    """Base class: a problem the user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class ConfigError(AssistantError):
    """The configuration file is missing or invalid; the message names the key and the fix."""

    exit_code = 2


class MailboxError(AssistantError):
    """The IMAP server could not be reached, refused the login or a command failed."""

    exit_code = 3


class ConnectionLost(MailboxError):
    """The connection dropped or timed out; the poll reconnects and resumes from its checkpoint."""


class AuthError(MailboxError):
    """The server refused the credentials."""

    exit_code = 4


class OAuthError(AuthError):
    """An OAuth2 token is missing, expired or revoked, or the server refused it; that mailbox
    stops (never a fallback to a password) until ``assistant auth MAILBOX`` signs in again."""

    exit_code = 8


class DatabaseError(AssistantError):
    """The database is unavailable, locked or not migrated."""

    exit_code = 5


class DeliveryError(AssistantError):
    """The weekly summary could not be delivered; it is retried on the next run."""

    exit_code = 7


class DraftRefused(AssistantError):
    """A rendered draft broke one of the wording rules and was not stored."""


class NotFound(AssistantError):
    """An order, message or draft named on the command line does not exist."""

    exit_code = 6


class MessageFailed(Exception):
    """Signal from a pipeline stage: record the message as failed with ``reason``, go on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MessageIgnored(Exception):
    """Signal from a pipeline stage: the message needs nothing more (duplicate, unrelated)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
