"""Grow a PostgreSQL demo desk about tenfold for the 10M figures, in minutes.

``complaintdesk demo --count 10000000`` would take about 3 h on the bench machine
(17.5 min for 1M). This bench-only tool instead copies the desk's closed
complaints ``--copies`` times, copy k moved back k × 364 days (same weekday, so a
day's numbers stay a day's: ``TS-20261130-0042`` becomes ``TS-20251201-0042``),
with their search rows. A 1M demo (932k closed) with 10 copies holds about 10.3M
complaints over 10½ years; the open queue is the demo's own.

What the copies are not: they have no handling sheets, revisits, investigations
or audit events (so ``audit verify`` knows nothing of them, and a copy's record
screen is bare), and a copy's search pairs and digit grams still hold the original's number
(its searchable text has the new one, so a search by number finds it only
where both match). The figures they serve are the queue, search, 统计表 and
registration's, which read the complaint and search tables. Never run this on a
desk in use: it writes with the server's triggers off (``session_replication_role
= replica``, so a superuser only) and rebuilds the two tables' indexes.

    .venv/bin/python bench/scale_pg.py --db postgresql://postgres@127.0.0.1/m10 --copies 10
"""

from __future__ import annotations

import argparse
import time

import psycopg

DAYS_BACK = 364  # 52 weeks: a copy's days fall on the same weekdays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="postgresql://… of a demo desk")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    url = args.db.replace("postgresql+psycopg://", "postgresql://")
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as db:
        def step(what: str, statement: str, *params: object) -> None:
            began = time.monotonic()
            db.execute(statement, params or None)
            print(f"{what}: {time.monotonic() - began:,.1f} s", flush=True)

        db.execute("SET maintenance_work_mem = '1GB'")
        db.execute("SET session_replication_role = replica")  # no triggers, no FK checks
        last = db.execute("SELECT max(id) FROM complaint").fetchone()[0]
        closed = db.execute("SELECT count(*) FROM complaint WHERE closed").fetchone()[0]
        spacing = 10 ** len(str(last))  # copy k's ids are k × spacing + the original's
        columns = [row[0] for row in db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'complaint' ORDER BY ordinal_position")]
        moved = {row[0] for row in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'complaint' "
            "AND data_type = 'timestamp with time zone'")}
        indexes = db.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('complaint', 'complaint_search') AND indexname NOT LIKE '%pkey'").fetchall()
        print(f"desk: {last:,} complaints ({closed:,} closed); {args.copies} copies of the "
              f"closed ones, ids from {spacing:,}", flush=True)
        for name, _definition in indexes:  # rebuilt once at the end: much faster
            db.execute(f"ALTER TABLE complaint DROP CONSTRAINT IF EXISTS {name}")
            db.execute(f"DROP INDEX IF EXISTS {name}")
        for k in range(1, args.copies + 1):
            shift = f"interval '{k * DAYS_BACK} days'"
            values = []
            for column in columns:
                if column == "id":
                    values.append(f"id + {k * spacing}")
                elif column == "merged_into_id":
                    values.append(f"merged_into_id + {k * spacing}")
                elif column == "number":
                    values.append(_number(k))
                elif column in moved:
                    values.append(f"{column} - {shift}")
                else:
                    values.append(column)
            step(f"copy {k}: complaints",
                 f"INSERT INTO complaint ({', '.join(columns)}) SELECT {', '.join(values)} "
                 f"FROM complaint WHERE closed AND id <= %s", last)
            step(f"copy {k}: search rows",
                 f"INSERT INTO complaint_search (complaint_id, open, grams, doc) "
                 f"SELECT s.complaint_id + {k * spacing}, false, s.grams, "
                 f"replace(s.doc, lower(c.number), lower({_number(k, 'c.')})) "
                 f"FROM complaint_search s JOIN complaint c ON c.id = s.complaint_id "
                 f"WHERE c.closed AND c.id <= %s", last)
        for name, definition in indexes:
            if name.endswith("_key"):  # the unique number, a constraint
                table, column = name.removesuffix("_key").split("_", 1)
                step(f"index {name}", f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({column})")
            else:
                # A partitioned table's index is listed as made ON ONLY the table
                # (no partition's index, not valid): made again on the whole table.
                step(f"index {name}", definition.replace(" ON ONLY ", " ON ", 1))
        # New complaints (a registration) get ids past the copies', as the watchers
        # expect of a new complaint.
        db.execute("SELECT setval(pg_get_serial_sequence('complaint', 'id'), "
                   "(SELECT max(id) FROM complaint))")
        db.execute("SET session_replication_role = DEFAULT")
        step("vacuum (analyze)", "VACUUM (ANALYZE) complaint, complaint_search")
        total = db.execute("SELECT count(*) FROM complaint").fetchone()[0]
    print(f"now {total:,} complaints, in {(time.monotonic() - started) / 60:,.1f} min")


def _number(k: int, prefix: str = "") -> str:
    """Copy k's number: the original's, its day moved back k × 364 days."""
    return (f"'TS-' || to_char(to_date(split_part({prefix}number, '-', 2), 'YYYYMMDD') - "
            f"{k * DAYS_BACK}, 'YYYYMMDD') || '-' || split_part({prefix}number, '-', 3)")


if __name__ == "__main__":
    main()
