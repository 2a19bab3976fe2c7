"""Sending the digest by mail through the SMTP server of ``[mail]`` in newsvault.toml.

One message: the digest as text and as HTML (``multipart/alternative``), the day's EPUB
attached when there is one. The password, if the server wants one, is read from the
environment variable ``password_env`` names, never from the file (which is committed).
A server that refuses, or cannot be reached, is one clear error naming it.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ..config import MailConfig
from ..errors import NewsvaultError

__all__ = ["MailError", "digest_message", "send"]


class MailError(NewsvaultError):
    """The digest could not be sent."""


def digest_message(config: MailConfig, subject: str, text: str, html: str, epub: Path | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if epub is not None:
        msg.add_attachment(epub.read_bytes(), maintype="application", subtype="epub+zip", filename=epub.name)
    return msg


def send(config: MailConfig, msg: EmailMessage) -> list[str]:
    """Send ``msg``; the recipients it was accepted for. Raises :class:`MailError`."""
    where = f"{config.host}:{config.port}"
    password = os.environ.get(config.password_env, "") if config.password_env else ""
    if config.password_env and not password:
        raise MailError(f"[mail] password_env names {config.password_env}, which is not set")
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, password)
            refused = smtp.send_message(msg, from_addr=config.sender, to_addrs=config.to)
    except smtplib.SMTPRecipientsRefused as e:
        codes = "; ".join(f"{r}: {c} {m.decode(errors='replace')}" for r, (c, m) in e.recipients.items())
        raise MailError(f"the mail server at {where} refused every recipient ({codes})") from None
    except smtplib.SMTPResponseException as e:
        said = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        raise MailError(f"the mail server at {where} refused the digest: {e.smtp_code} {said}") from None
    except (smtplib.SMTPException, OSError) as e:
        raise MailError(f"cannot send the digest through {where}: {e}") from None
    return [t for t in config.to if t not in refused]
