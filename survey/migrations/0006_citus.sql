-- Scale-out: distribute tenant tables by program_id when the database runs Citus.
--
-- On plain PostgreSQL this migration only creates three functions; nothing else
-- changes. On a Citus coordinator (the citus extension installed and worker nodes
-- registered before the service migrates) it distributes the schema at once. A
-- database that gets Citus later runs `survey db distribute`, which calls the same
-- survey_distribute(); it is idempotent and does only what is still pending.
--
-- survey_distribution_plan() is the one list of every table and what it becomes,
-- in foreign-key order (tests/test_citus.py checks it against the live schema):
--   reference    small global tables, copied to every node: users, api_keys,
--                sessions, questionnaire_versions, programs (its slug is unique
--                across programs, so it cannot be split by id), program_members
--                (read on every dashboard request with users), sms_opt_outs (an
--                opt-out covers every program), sms_senders;
--   distributed  tenant tables, by program_id, co-located with sites, so that a
--                program's rows and every join and foreign key between them stay
--                on one node; sms_inbound_receipts (deduplicated by provider id
--                before the program is known) is distributed on its own key;
--   local        stay on the coordinator: audit_log (its key has no program_id and
--                program_id may be null; no foreign keys, read one program at a
--                time) and schema_migrations.
--
-- What Citus requires, and how survey_distribute() meets it:
-- * Foreign keys. Distributing a table that is referenced by, or references, plain
--   tables either fails or turns the neighbours into "Citus local tables", and a
--   Citus local table with an identity column cannot be distributed afterwards. So
--   the foreign keys touching pending tables are dropped first, every table is
--   distributed, and the keys are re-created (Citus then creates them per shard).
-- * ON DELETE SET NULL (col) on a key that includes the distribution column is
--   refused by Citus. Those keys (the optional links from invitations, sms
--   conversations and sms messages to contacts, responses, conversations and
--   invitations) are not re-created on Citus. The service never deletes those
--   rows on their own, only with their whole program, so nothing is left dangling
--   in practice; the ids are just no longer checked by the database.
-- * Triggers. Statement-level triggers are not supported on distributed tables,
--   and a row trigger runs on the shard, where a query on another distributed table
--   is refused ("cannot execute a distributed query from a query on a shard"). So
--   triggers on tenant tables are dropped: the wave questionnaire guard (the
--   service checks the same rule in the same transaction, survey/services/waves.py)
--   and the report cache's invalidation and completion stamps, whose MVCC snapshots
--   are per node anyway. On Citus the report cache must not be used:
--   survey_is_distributed() tells the service so.
-- * Identity columns: supported on distributed tables when bigint (all ours are).
--   Ids come from the coordinator; sequences must not be altered afterwards.
-- * One transaction: shard DDL runs sequentially (citus.multi_shard_modify_mode),
--   so the foreign keys to reference tables can be created in the same transaction.

CREATE FUNCTION survey_distribution_plan()
RETURNS TABLE (step integer, table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES
        (1, 'users', 'reference', NULL),
        (2, 'api_keys', 'reference', NULL),
        (3, 'sessions', 'reference', NULL),
        (4, 'questionnaire_versions', 'reference', NULL),
        (5, 'programs', 'reference', NULL),
        (6, 'program_members', 'reference', NULL),
        (7, 'sms_opt_outs', 'reference', NULL),
        (8, 'sms_senders', 'reference', NULL),
        (10, 'sites', 'distributed', 'program_id'),
        (11, 'waves', 'distributed', 'program_id'),
        (12, 'wave_sites', 'distributed', 'program_id'),
        (13, 'panel_members', 'distributed', 'program_id'),
        (14, 'contacts', 'distributed', 'program_id'),
        (15, 'invitations', 'distributed', 'program_id'),
        (16, 'open_links', 'distributed', 'program_id'),
        (17, 'responses', 'distributed', 'program_id'),
        (18, 'answers', 'distributed', 'program_id'),
        (19, 'open_link_clients', 'distributed', 'program_id'),
        (20, 'weight_margins', 'distributed', 'program_id'),
        (21, 'sms_consents', 'distributed', 'program_id'),
        (22, 'sms_conversations', 'distributed', 'program_id'),
        (23, 'sms_messages', 'distributed', 'program_id'),
        (24, 'report_cache_state', 'distributed', 'program_id'),
        (25, 'report_cache_rows', 'distributed', 'program_id'),
        (26, 'report_cache_panel', 'distributed', 'program_id'),
        (30, 'sms_inbound_receipts', 'distributed', 'message_sid'),
        (40, 'audit_log', 'local', NULL),
        (41, 'schema_migrations', 'local', NULL)
$$;

-- True once the tenant tables are distributed: the report cache is then bypassed.
CREATE FUNCTION survey_is_distributed() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN false;
    END IF;
    -- Only reached with Citus installed, so its catalog exists.
    RETURN EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'responses'::regclass);
END $$;

-- Distribute what is still pending; returns one line per action, none when there is
-- nothing to do (plain PostgreSQL, or everything already distributed).
CREATE FUNCTION survey_distribute() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    p record;
    fk record;
    tg record;
    current_kind text;
    anchor text := NULL;
    pending text[] := '{}';
    keys text[] := '{}';
    defs text[] := '{}';
    owners text[] := '{}';
    i integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;

    FOR p IN SELECT * FROM survey_distribution_plan() ORDER BY step LOOP
        IF to_regclass(p.table_name) IS NULL THEN
            RAISE EXCEPTION 'survey_distribute: table % in the plan does not exist', p.table_name;
        END IF;
        SELECT CASE WHEN d.partmethod = 'h' THEN 'distributed'
                    WHEN d.repmodel = 't' THEN 'reference'
                    ELSE 'citus local' END
          INTO current_kind
          FROM pg_dist_partition d WHERE d.logicalrelid = p.table_name::regclass;
        IF p.kind = 'local' THEN
            IF current_kind IS NOT NULL THEN
                RAISE EXCEPTION 'survey_distribute: % should stay a local table but is %',
                    p.table_name, current_kind;
            END IF;
        ELSIF current_kind IS NULL THEN
            pending := pending || p.table_name;
        ELSIF current_kind <> p.kind THEN
            RAISE EXCEPTION 'survey_distribute: % is a % table, the plan says %',
                p.table_name, current_kind, p.kind
                USING HINT = 'undistribute_table() it, then run survey db distribute again';
        END IF;
        IF p.kind = 'distributed' AND p.distribution_column = 'program_id'
           AND anchor IS NULL AND current_kind IS NOT NULL THEN
            anchor := p.table_name;
        END IF;
    END LOOP;
    IF cardinality(pending) = 0 THEN
        RETURN;
    END IF;

    -- DDL on shards one connection at a time, so that foreign keys to reference
    -- tables can follow in this transaction.
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

    FOR fk IN
        SELECT c.conname, c.conrelid::regclass::text AS owner,
               pg_get_constraintdef(c.oid) AS def,
               (c.confdeltype IN ('n', 'd') OR c.confupdtype IN ('n', 'd')) AS sets
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND (c.conrelid::regclass::text = ANY (pending)
               OR c.confrelid::regclass::text = ANY (pending))
        ORDER BY c.conrelid::regclass::text, c.conname
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', fk.owner, fk.conname);
        IF fk.sets AND EXISTS (SELECT 1 FROM survey_distribution_plan() d
                               WHERE d.table_name = fk.owner AND d.kind = 'distributed') THEN
            RETURN NEXT format('foreign key %s.%s dropped: Citus refuses SET NULL/SET DEFAULT '
                               'on a key that includes the distribution column', fk.owner, fk.conname);
        ELSE
            owners := owners || fk.owner;
            keys := keys || fk.conname;
            defs := defs || fk.def;
        END IF;
    END LOOP;

    FOR tg IN
        SELECT t.tgname, t.tgrelid::regclass::text AS owner
        FROM pg_trigger t
        JOIN survey_distribution_plan() d ON d.table_name = t.tgrelid::regclass::text
        WHERE NOT t.tgisinternal AND d.kind = 'distributed'
          AND d.table_name = ANY (pending)
        ORDER BY 2, 1
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', tg.tgname, tg.owner);
        RETURN NEXT format('trigger %s.%s dropped: triggers on distributed tables '
                           'cannot query other distributed tables', tg.owner, tg.tgname);
    END LOOP;

    FOR p IN SELECT * FROM survey_distribution_plan() ORDER BY step LOOP
        CONTINUE WHEN NOT p.table_name = ANY (pending);
        IF p.kind = 'reference' THEN
            PERFORM create_reference_table(p.table_name::regclass);
            RETURN NEXT format('%s: reference table', p.table_name);
        ELSIF p.distribution_column <> 'program_id' THEN
            PERFORM create_distributed_table(p.table_name::regclass, p.distribution_column,
                                             colocate_with => 'none');
            RETURN NEXT format('%s: distributed by %s', p.table_name, p.distribution_column);
        ELSE
            PERFORM create_distributed_table(p.table_name::regclass, 'program_id',
                                             colocate_with => coalesce(anchor, 'none'));
            anchor := coalesce(anchor, p.table_name);
            RETURN NEXT format('%s: distributed by program_id, co-located with %s',
                               p.table_name, anchor);
        END IF;
    END LOOP;

    FOR i IN 1 .. coalesce(cardinality(keys), 0) LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', owners[i], keys[i], defs[i]);
    END LOOP;
    IF cardinality(keys) > 0 THEN
        RETURN NEXT format('%s foreign keys re-created', cardinality(keys));
    END IF;
END $$;

-- Distribute now if this database already runs Citus; plain PostgreSQL skips this.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM survey_distribute();
    END IF;
END $$;
