"""A real SMTP server for tests: aiosmtpd in a child process, writing a maildir."""

import mailbox
import socket
import subprocess
import sys
from contextlib import contextmanager

from harness.waiting import wait_until

ORDER_MAIL = "Order "  # the subject of every email about an order starts so


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, timeout=10.0):
    def listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(listening, timeout, f"something listening on port {port}")


@contextmanager
def running_sink(maildir):
    """An ``SmtpSink`` for the length of a ``with`` block."""
    sink = SmtpSink(maildir)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


class SmtpSink:
    def __init__(self, maildir, port=None):
        self.maildir = maildir
        self.port = port or free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.maildir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def messages(self):
        box = mailbox.Maildir(self.maildir, factory=None, create=True)
        return [box.get_message(key) for key in box.iterkeys()]

    def messages_to(self, address, subject_prefix=""):
        return [
            message
            for message in self.messages()
            if message["To"] == address and (message["Subject"] or "").startswith(subject_prefix)
        ]

    def subjects_to(self, address, subject_prefix=""):
        return sorted(message["Subject"] for message in self.messages_to(address, subject_prefix))

    def wait_for(self, count, address, subject_prefix="", timeout=10.0):
        """The mails to ``address`` whose subject starts with ``subject_prefix``, once there are ``count`` of them."""

        def enough():
            found = self.messages_to(address, subject_prefix)
            return found if len(found) >= count else None

        return wait_until(enough, timeout, f"{count} mails to {address}")

    def config(self):
        return {"HOST": "127.0.0.1", "PORT": self.port, "SENDER": "shop@test.local", "TIMEOUT": 5}
