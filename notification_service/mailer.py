"""Sending email over SMTP, as a Nameko dependency.

Configured by the ``SMTP`` section of the config (``HOST``, ``PORT``,
``SENDER``, ``TIMEOUT``); set up once per service, one connection per email.
"""

import smtplib
from email.message import EmailMessage

from nameko.extensions import DependencyProvider


class SmtpMailer:
    def __init__(self, host, port, sender, timeout):
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def send(self, to, subject, body):
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class Mailer(DependencyProvider):
    def setup(self):
        config = self.container.config.get("SMTP", {})
        self.mailer = SmtpMailer(
            host=config.get("HOST", "localhost"),
            port=int(config.get("PORT", 1025)),
            sender=config.get("SENDER", "shop@localhost"),
            timeout=float(config.get("TIMEOUT", 10)),
        )

    def get_dependency(self, worker_ctx):
        return self.mailer
