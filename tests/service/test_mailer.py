"""The SMTP mailer against a real SMTP server: connections reused, a dropped one replaced."""

import pytest

from harness.smtp import running_sink
from notification_service.mailer import SmtpMailer


@pytest.fixture
def sink(tmp_path):
    with running_sink(tmp_path / "maildir") as sink:
        yield sink


@pytest.fixture
def mailer(sink):
    mailer = SmtpMailer("127.0.0.1", sink.port, "shop@test.local", timeout=5)
    yield mailer
    mailer.close()


def idle_local_ports(mailer):
    connections = [mailer.idle.get_nowait() for _ in range(mailer.idle.qsize())]
    for connection in connections:
        mailer.idle.put_nowait(connection)
    return [connection.sock.getsockname()[1] for connection in connections]


def test_emails_one_after_another_share_one_connection(mailer, sink):
    mailer.send("ada@example.com", "first", "one")
    first_connection = idle_local_ports(mailer)

    mailer.send("ada@example.com", "second", "two")
    mailer.send("ada@example.com", "third", "three")

    assert idle_local_ports(mailer) == first_connection
    assert sink.subjects_to("ada@example.com") == ["first", "second", "third"]


def test_a_connection_the_server_dropped_is_replaced_and_the_email_still_sent(mailer, sink):
    mailer.send("ada@example.com", "before", "one")
    dropped = idle_local_ports(mailer)
    sink.stop()
    sink.start()

    mailer.send("ada@example.com", "after", "two")

    assert idle_local_ports(mailer) != dropped
    assert sink.subjects_to("ada@example.com") == ["after", "before"]


def test_a_failed_send_keeps_no_connection(mailer, sink):
    mailer.send("ada@example.com", "before", "one")
    sink.stop()

    with pytest.raises(OSError):
        mailer.send("ada@example.com", "lost", "two")

    assert mailer.idle.qsize() == 0
