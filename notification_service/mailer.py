"""Sending email over SMTP, as a Nameko dependency.

Configured by the ``SMTP`` section of the config (``HOST``, ``PORT``,
``SENDER``, ``TIMEOUT``); set up once per service. Connections are kept open
and reused, at most one per worker waiting; one the server has closed in the
meantime fails its RSET, before anything is sent, and is replaced by a new one.
"""

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from shop_common.observability.tracing import smtp_span


class SmtpMailer:
    def __init__(self, host, port, sender, timeout, idle_connections=10):
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self.idle = LightQueue(maxsize=idle_connections)

    @property
    def longest_send(self):
        """The longest a send can take: connecting, then sending, each within ``timeout``."""
        return timedelta(seconds=2 * self.timeout)

    def send(self, to, subject, body):
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtp_span(self.host, self.port):
            smtp = self._connection()
            try:
                smtp.send_message(message)
            except BaseException:
                _close(smtp)
                raise
        self._put_back(smtp)

    def close(self):
        while True:
            try:
                _close(self.idle.get_nowait())
            except Empty:
                return

    def _connection(self):
        """An idle connection that still answers, else a new one."""
        while True:
            try:
                smtp = self.idle.get_nowait()
            except Empty:
                return smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                smtp.rset()
                return smtp
            except (smtplib.SMTPException, OSError):
                _close(smtp)

    def _put_back(self, smtp):
        if self.idle.full():
            _close(smtp)
        else:
            self.idle.put_nowait(smtp)


def _close(smtp):
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class Mailer(DependencyProvider):
    def setup(self):
        config = self.container.config["SMTP"]
        self.mailer = SmtpMailer(
            host=config["HOST"],
            port=int(config["PORT"]),
            sender=config["SENDER"],
            timeout=float(config["TIMEOUT"]),
            idle_connections=self.container.max_workers,
        )

    def stop(self):
        self.mailer.close()

    def kill(self):
        self.mailer.close()

    def get_dependency(self, worker_ctx):
        return self.mailer
