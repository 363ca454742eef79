"""Database helpers against a real PostgreSQL whose connections are cut."""

from sqlalchemy import text

from shop_common.persistence.database import commit_surely


def terminate_backend_of(session, databases):
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    with databases.engine("orders").connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_commit_whose_connection_was_cut_is_made_again_on_a_fresh_one(clean_databases):
    applied = []

    def change(session):
        applied.append(True)
        session.execute(
            text("INSERT INTO processed_events (event_id, processed_at) VALUES ('e1', now()) ON CONFLICT DO NOTHING")
        )

    with clean_databases.session("orders") as session:
        terminate_backend_of(session, clean_databases)
        commit_surely(session, change)
    assert len(applied) == 2
    assert clean_databases.scalar("orders", "SELECT count(*) FROM processed_events WHERE event_id = 'e1'") == 1
