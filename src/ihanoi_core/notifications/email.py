"""E-mail notices over SMTP, with the standard library's ``smtplib``.

Why not ``aiosmtplib``: the dispatcher is a synchronous worker thread like every
other worker here (psycopg and the event store are synchronous), so an asyncio
client would need an event loop of its own for nothing; ``smtplib`` is
maintained with CPython, speaks STARTTLS, implicit TLS and AUTH, and adds no
dependency. One connection is kept open between messages and reopened after
an error.

``IHANOI_NOTIFY_SMTP_URL``: ``smtp://user:password@host:587`` (STARTTLS when
the server offers it) or ``smtps://host:465``. Each message carries a
``Message-ID`` derived from the notice id, so a receiving system can tell a
retried message from a new one.
"""

from __future__ import annotations

import contextlib
import functools
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from ihanoi_core.notifications.channels import DeliveryError, Message

TIMEOUT = 20.0


@functools.cache
def smtp_tls() -> ssl.SSLContext:
    """The TLS context of every SMTP connection, one for the process: the
    system's CA certificates, verified. Built again for each connection it
    read the certificates each time (21-27 ms of CPU); one context is safe
    to share between connections and threads."""
    return ssl.create_default_context()


class SmtpSender:
    """Sends ``email`` messages through one SMTP server (module docstring)."""

    def __init__(self, url: str, mail_from: str, *, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            context = smtp_tls()
            if self.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            self._smtp = smtp
        return self._smtp

    def send(self, message: Message) -> str | None:
        mail = EmailMessage()
        mail["From"] = self.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.idempotency_key}@notifications.ihanoi>"
        mail["Content-Language"] = message.language
        mail.set_content(message.text)
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html")
        try:
            self._connection().send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            self.close()
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"recipient refused: {codes}", permanent=all(500 <= c < 600 for c in codes)) from None
        except smtplib.SMTPResponseException as error:
            self.close()
            raise DeliveryError(f"SMTP {error.smtp_code}", permanent=500 <= error.smtp_code < 600) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise DeliveryError(f"SMTP connection failed: {type(error).__name__}") from None
        return str(mail["Message-ID"])

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None
