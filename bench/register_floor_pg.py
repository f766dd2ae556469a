"""The floor of registration with 8 writers at full speed on PostgreSQL: how fast
the same statements could go if the lock covered only two round trips.

    .venv/bin/python bench/register_floor_pg.py --db postgresql://postgres@127.0.0.1/b100k

Not the product's code path, and nothing in the product uses it: an experiment
that measures what the design allows, to tell whether the product's figure
(``bench/register_bench.py``) is far from it. Each writer process registers with
raw psycopg, no SQLAlchemy: the role check and the complaint's id before the
writers' lock; then one pipelined round trip (lock, day counter, customer, chain
head); then the row, its search row and its audit event (the product's own
functions build them: ``effects.registered``, ``search_row``, ``content_bytes``)
sent with the COMMIT in a second one. Contacts are the bench's ``1380000xxxx``
of customers that already exist (run ``register_bench.py`` on the database
first); new customers are not created. Adds complaints to the database: use a
copy. ``audit verify`` passes after it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.register_bench import measure  # noqa: E402

FORM = {"customer_name": "压测客户", "contact": "13800001111", "channel": "phone",
        "event": "压测：登记延迟", "demand": "无", "category": "service", "priority": "general"}


def writer(url: str, each: int, offset: int, barrier, out) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    import psycopg

    from complaintdesk.domain import effects
    from complaintdesk.domain.config import DeskConfig, deadlines_for
    from complaintdesk.domain.contacts import contact_key
    from complaintdesk.domain.effects import detail_text
    from complaintdesk.domain.numbers import format_number
    from complaintdesk.domain.search import indexed_fields
    from complaintdesk.domain.validation import validate_complaint
    from complaintdesk.store.postgres.audit import chain_time
    from complaintdesk.store.postgres.ddl import WRITE_LOCK
    from complaintdesk.store.postgres.search import INSERT as SEARCH_INSERT
    from complaintdesk.store.postgres.search import search_row
    from complaintdesk.store.sqlite.audit_chain import content_bytes, link

    config = DeskConfig(timezone_name="Asia/Shanghai")
    conn = psycopg.connect(url)
    conn.execute("SET TIME ZONE 'UTC'")
    login = conn.execute("SELECT login FROM staff WHERE role = 'counter' AND active "
                         "ORDER BY login LIMIT 1").fetchone()[0]
    conn.commit()
    c1, c2, c3, c4 = (conn.cursor() for _ in range(4))

    def register(i: int) -> None:
        draft, _ = validate_complaint(dict(FORM, contact=f"1380000{i:04d}"),
                                      now=datetime.now(config.timezone), zone=config.timezone)
        first, resolution = deadlines_for(draft.priority, draft.received_at, config)
        day = draft.received_at.astimezone(config.timezone).strftime("%Y%m%d")
        c1.execute("SELECT active, nextval('complaint_id_seq') FROM staff WHERE login = %s",
                   (login,))
        _active, complaint_id = c1.fetchone()
        with conn.pipeline() as pipeline:
            c1.execute("SELECT set_config('lock_timeout', '10s', true), "
                       "pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            c2.execute("INSERT INTO daily_counter AS d (day, last) VALUES (%s, 1) "
                       "ON CONFLICT (day) DO UPDATE SET last = d.last + 1 RETURNING d.last", (day,))
            c3.execute("SELECT id FROM customer WHERE contact_key = %s",
                       (contact_key(draft.contact),))
            c4.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
            pipeline.sync()
            seq, (customer_id,), (head_id, head) = c2.fetchone()[0], c3.fetchone(), c4.fetchone()
        now = datetime.now(UTC)
        values, detail = effects.registered(
            number=format_number(day, seq), customer_id=customer_id,
            customer_name=draft.customer_name, address=draft.address, contact=draft.contact,
            channel=draft.channel, received_at=draft.received_at, event=draft.event,
            demand=draft.demand, category=draft.category, priority=draft.priority,
            product=draft.product, quantity=draft.quantity, by=login,
            first_response_due=first, resolution_due=resolution, at=now)
        values["id"] = complaint_id
        event = (head_id + 1, now, login, complaint_id, "complaint.registered", None, None,
                 values["number"], detail_text(detail))
        digest = link(bytes(head), content_bytes((event[0], chain_time(now), *event[2:])))
        with conn.pipeline():
            c1.execute(f"INSERT INTO complaint ({', '.join(values)}) "
                       f"VALUES ({', '.join(f'%({k})s' for k in values)})", values)
            c2.execute(SEARCH_INSERT, search_row(indexed_fields(values), True))
            c3.execute("INSERT INTO audit_event (id, at, actor, complaint_id, action, field,"
                       " before, after, detail, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       (*event, digest))
            conn.commit()

    register(offset)  # warm
    barrier.wait()
    times = []
    for i in range(each):
        start = time.perf_counter()
        register((offset + i) % 200)
        times.append(time.perf_counter() - start)
    out.put(times)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="postgresql://… (a copy: it adds complaints)")
    parser.add_argument("--each", type=int, default=200)
    args = parser.parse_args()
    print(f"database: {args.db} (the floor: raw psycopg, two round trips under the lock)")
    for writers in (1, 8):
        measure(writer, [(args.db, args.each, w * 25) for w in range(writers)],
                f"{writers} writer(s) × {args.each}")


if __name__ == "__main__":
    main()
