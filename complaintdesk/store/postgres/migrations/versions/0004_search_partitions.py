"""The search table is split into hash partitions of the complaint's id, so a
capped count stops after the partitions that hold enough matches.

A search with closed complaints too counts its matches up to the cap (10,000).
On one table the text index answers every condition with a bitmap of all its
matches before the count's LIMIT can stop: two frequent words together (退款
快递) took 203 ms at 10.3M complaints, the bitmaps of both words whole, to
find that far more than 10,000 complaints hold both. Split by the id's hash,
each partition holds an even share of every word's matches; the server reads the
partitions one after the other, each by its own part of the index, and the
LIMIT stops it at the first partitions that hold enough. A rare search reads
every partition, the same index entries as before.

The rows are copied into the new table, and its primary key, foreign key and the
two GIN indexes (the same names) are built on it. Its owner and exactly who may
use it carry over: the old table's grants (the desk's role's, README), its
columns' grants, row-level security and its policies, but none of the migrating
role's default privileges; and its comments, statistics targets and storage
options. Its text indexes keep no pending list (``fastupdate = off``): after
5,700 registrations on a 100k desk each of the 16 lists held 59 pages and
searches took 1.3–3 times as long; registering was no slower without them. Each
partition is vacuumed after 1,000 changed rows (``VACUUMED``). A table already
split (the revision run again, its version set back by hand) only has its text
indexes' pending lists turned off and emptied, and that vacuum setting where its
partitions have none of their own. At 10.3M complaints the copy holds the table (searches wait)
for several minutes: plan it for a quiet hour.

Revision ID: 0004_search_partitions
Revises: 0003_digit_grams
"""

from __future__ import annotations

from alembic import op

revision = "0004_search_partitions"
down_revision = "0003_digit_grams"
branch_labels = None
depends_on = None

#: Partitions of the search table. More make a capped count of a frequent search
#: stop sooner, and cost every search a little more planning and a few more
#: index look-ups (each partition's index is read apart).
PARTITIONS = 8

#: Each partition is vacuumed after 1,000 rows changed (not PostgreSQL's 20 % of
#: the partition, 260,000 at 10.3M complaints: two years of closing). Closing a
#: complaint leaves its search row's old version in the open complaints' text
#: index, and GIN never marks such entries dead on reading (bitmap scans
#: cannot): an open-queue search visits every one until a vacuum removes it. At
#: 1,000 a partition there are at most ~1,000 of them against a partition's
#: ~8,000 open complaints; each vacuum reads the partition's text indexes once.
VACUUMED = "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000"

UPGRADE = f"""
DO $$
DECLARE
  old_owner name;
  acl record;
  pol record;
  rel regclass;
  who oid;
  note text;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'complaint_search'::regclass) = 'p' THEN
    -- Split already: only its text indexes without pending lists, as below.
    FOR rel IN SELECT inhrelid::regclass FROM pg_inherits
                WHERE inhparent IN ('ix_search_grams'::regclass, 'ix_search_grams_open'::regclass) LOOP
      EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', rel);
      PERFORM gin_clean_pending_list(rel);
    END LOOP;
    FOR rel IN SELECT c.oid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'complaint_search'::regclass AND NOT EXISTS (
                      SELECT FROM unnest(c.reloptions) o WHERE o LIKE 'autovacuum_vacuum_%') LOOP
      EXECUTE format('ALTER TABLE %s SET ({VACUUMED})', rel);
    END LOOP;
    RETURN;
  END IF;
  PERFORM set_config('maintenance_work_mem', '256MB', true);
  SELECT pg_get_userbyid(relowner) INTO old_owner FROM pg_class
   WHERE oid = 'complaint_search'::regclass;
  ALTER TABLE complaint_search RENAME TO complaint_search_unsplit;
  ALTER TABLE complaint_search_unsplit DROP CONSTRAINT complaint_search_complaint_id_fkey;
  ALTER INDEX complaint_search_pkey RENAME TO complaint_search_unsplit_pkey;
  DROP INDEX ix_search_grams;
  DROP INDEX ix_search_grams_open;
  CREATE TABLE complaint_search (
      complaint_id  INTEGER NOT NULL,
      open          BOOLEAN NOT NULL,
      grams         TEXT[] NOT NULL,
      doc           TEXT NOT NULL,
      CONSTRAINT complaint_search_pkey PRIMARY KEY (complaint_id),
      CONSTRAINT complaint_search_complaint_id_fkey FOREIGN KEY (complaint_id) REFERENCES complaint(id)
  ) PARTITION BY HASH (complaint_id);
  FOR i IN 0..{PARTITIONS - 1} LOOP
    EXECUTE format('CREATE TABLE complaint_search_%s PARTITION OF complaint_search '
                   'FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER %s) WITH ({VACUUMED})', i, i);
  END LOOP;
  INSERT INTO complaint_search (complaint_id, open, grams, doc)
    SELECT complaint_id, open, grams, doc FROM complaint_search_unsplit;
  -- Without GIN's pending lists (fastupdate): every search read each partition's
  -- two lists whole, up to 4 MB each, until a vacuum (which a partition of a large
  -- desk gets only after hundreds of thousands of registrations) or a registration
  -- over the limit (which then paid for merging it, under the writers' lock).
  CREATE INDEX ix_search_grams ON complaint_search USING gin (grams) WITH (fastupdate = off);
  CREATE INDEX ix_search_grams_open ON complaint_search USING gin (grams) WITH (fastupdate = off)
    WHERE open;
  -- Exactly who could use the old table may use the new one: first none of what
  -- the migrating role's default privileges (ALTER DEFAULT PRIVILEGES) gave the
  -- new tables, then the old table's grants, its columns' too (PUBLIC is grantee 0).
  FOR rel IN SELECT 'complaint_search'::regclass UNION ALL
             SELECT inhrelid::regclass FROM pg_inherits
              WHERE inhparent = 'complaint_search'::regclass LOOP
    FOR who IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
                WHERE c.oid = rel AND a.grantee <> c.relowner LOOP
      EXECUTE format('REVOKE ALL ON %s FROM %s CASCADE', rel,
                     CASE WHEN who = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(who)) END);
    END LOOP;
  END LOOP;
  FOR acl IN SELECT a.privilege_type, a.grantee, a.is_grantable
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = 'complaint_search_unsplit'::regclass AND a.grantee <> c.relowner LOOP
    EXECUTE format('GRANT %s ON complaint_search TO %s%s', acl.privilege_type,
                   CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                        ELSE quote_ident(pg_get_userbyid(acl.grantee)) END,
                   CASE WHEN acl.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  FOR acl IN SELECT t.attname, a.privilege_type, a.grantee, a.is_grantable
               FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
              WHERE c.oid = 'complaint_search_unsplit'::regclass AND t.attnum > 0
                AND NOT t.attisdropped AND a.grantee <> c.relowner LOOP
    EXECUTE format('GRANT %s (%I) ON complaint_search TO %s%s', acl.privilege_type, acl.attname,
                   CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                        ELSE quote_ident(pg_get_userbyid(acl.grantee)) END,
                   CASE WHEN acl.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  -- Row-level security and its policies, as they were (after the copy, which
  -- they must not filter).
  IF (SELECT relrowsecurity FROM pg_class WHERE oid = 'complaint_search_unsplit'::regclass) THEN
    ALTER TABLE complaint_search ENABLE ROW LEVEL SECURITY;
  END IF;
  IF (SELECT relforcerowsecurity FROM pg_class WHERE oid = 'complaint_search_unsplit'::regclass) THEN
    ALTER TABLE complaint_search FORCE ROW LEVEL SECURITY;
  END IF;
  FOR pol IN SELECT polname, polcmd, polpermissive, polroles,
                    pg_get_expr(polqual, polrelid) AS qual,
                    pg_get_expr(polwithcheck, polrelid) AS checked
               FROM pg_policy WHERE polrelid = 'complaint_search_unsplit'::regclass LOOP
    EXECUTE format('CREATE POLICY %I ON complaint_search AS %s FOR %s TO %s%s%s', pol.polname,
                   CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                   CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                        WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                   (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC'
                                           ELSE quote_ident(pg_get_userbyid(r)) END, ', ')
                      FROM unnest(pol.polroles) r),
                   CASE WHEN pol.qual IS NULL THEN '' ELSE ' USING (' || pol.qual || ')' END,
                   CASE WHEN pol.checked IS NULL THEN ''
                        ELSE ' WITH CHECK (' || pol.checked || ')' END);
  END LOOP;
  -- The comments, a column's statistics target, and the storage options (which a
  -- partitioned table cannot hold: each partition takes them).
  note := obj_description('complaint_search_unsplit'::regclass, 'pg_class');
  IF note IS NOT NULL THEN
    EXECUTE format('COMMENT ON TABLE complaint_search IS %L', note);
  END IF;
  FOR acl IN SELECT attname, attnum, attstattarget FROM pg_attribute
              WHERE attrelid = 'complaint_search_unsplit'::regclass AND attnum > 0
                AND NOT attisdropped LOOP
    note := col_description('complaint_search_unsplit'::regclass, acl.attnum);
    IF note IS NOT NULL THEN
      EXECUTE format('COMMENT ON COLUMN complaint_search.%I IS %L', acl.attname, note);
    END IF;
    IF acl.attstattarget >= 0 THEN
      EXECUTE format('ALTER TABLE complaint_search ALTER COLUMN %I SET STATISTICS %s',
                     acl.attname, acl.attstattarget);
    END IF;
  END LOOP;
  FOR note IN SELECT format('%s = %L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1))
                FROM pg_class, unnest(reloptions) o
               WHERE oid = 'complaint_search_unsplit'::regclass
              UNION ALL  -- its TOAST table's, which ALTER TABLE names toast.…
              SELECT format('toast.%s = %L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1))
                FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid, unnest(t.reloptions) o
               WHERE c.oid = 'complaint_search_unsplit'::regclass LOOP
    FOR i IN 0..{PARTITIONS - 1} LOOP
      EXECUTE format('ALTER TABLE complaint_search_%s SET (%s)', i, note);
    END LOOP;
  END LOOP;
  IF old_owner <> current_user THEN
    EXECUTE format('ALTER TABLE complaint_search OWNER TO %I', old_owner);
    FOR i IN 0..{PARTITIONS - 1} LOOP
      EXECUTE format('ALTER TABLE complaint_search_%s OWNER TO %I', i, old_owner);
    END LOOP;
  END IF;
  DROP TABLE complaint_search_unsplit;
END $$;
ANALYZE complaint_search;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(UPGRADE)
