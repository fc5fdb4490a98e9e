"""The one writer of a case's custody log: a lock on the case row for the transaction.

Every append to a case's custody log reads the head (last sequence number and hash) and
inserts the next event; two transactions doing that at once would both take the same number.
So the head is read only under this lock, held until the transaction ends:

- PostgreSQL: ``SELECT ... FOR UPDATE`` on the case row; another appender waits for the
  commit and then reads the new head (READ COMMITTED reads afresh per statement).
- SQLite has no row locks, and its Python driver begins a transaction only at the first
  write, so reads before it see whatever was last committed and a ``FOR UPDATE`` is
  ignored. A no-op ``UPDATE`` of the case row as the lock statement takes the database
  write lock at once (``BEGIN`` then a write); a second writer waits for it (SQLite's busy
  handler, ``busy_timeout`` 30 s, retries inside its own transaction) instead of reading a
  head that is about to change.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lccu.evidence.models import Case


def lock_case(session: Session, case_id: str) -> Case:
    """Hold ``case_id``'s row (SQLite: the database write lock) until the transaction ends;
    returns the case row."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Case).where(Case.id == case_id)
                        .values(head_seq=Case.head_seq)
                        .execution_options(synchronize_session=False))
    return session.execute(select(Case).where(Case.id == case_id).with_for_update()
                           ).scalar_one()
