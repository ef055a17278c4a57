"""Blocking helpers. Call these from sync code, background tasks or a threadpool."""
import logging
import os
import smtplib
from email.message import EmailMessage

logger = logging.getLogger(__name__)

SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
MAIL_FROM = os.environ.get("MAIL_FROM", "Inventory <no-reply@example.com>")


def send_email_sync(to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = MAIL_FROM
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=10) as smtp:
        smtp.starttls()
        smtp.send_message(msg)
    logger.info("sent %r to %s", subject, to)
