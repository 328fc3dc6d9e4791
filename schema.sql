-- helpdesk-ai schema: the single source of truth for tables and indexes.
-- Applied at every start-up, so every statement is idempotent.
--
-- Tenancy, and the rules every table here follows, so the data can be distributed by
-- organization (Citus: `create_distributed_table(..., 'org_id')`, see README "Scaling out") with no
-- rewrite. tests/test_citus_ready.py checks them against the catalog after this file is applied:
--
--   1. A tenant-owned table has `org_id uuid NOT NULL` (`organizations` itself is the tenant root:
--      its `id` is every other table's org_id).
--   2. Its PRIMARY KEY and every UNIQUE constraint or unique index include org_id
--      (e.g. PRIMARY KEY (org_id, id), UNIQUE (org_id, number), ON (org_id, lower(email))).
--   3. A FOREIGN KEY to another tenant table includes org_id on both sides, matched to each
--      other: FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id); to the root,
--      FOREIGN KEY (org_id) REFERENCES organizations (id). So ON CONFLICT targets name org_id too.
--   4. A global table (no org_id) is a Citus reference table, copied to every node. There are
--      few, small and rarely written, and they are listed by name in REFERENCE_TABLES in
--      tests/test_citus_ready.py: add a new one there, with the reason. A reference table never
--      has a foreign key to a tenant table.
--   5. Something that must be unique across all organizations (a login e-mail, an API key prefix,
--      an organization slug) cannot be a unique index on a tenant table: it is claimed in the
--      reference table `global_names` by a trigger (helpdesk_claim_global_name below).

CREATE EXTENSION IF NOT EXISTS vector;

-- ---------------------------------------------------------------------------------------------
-- Plans and organizations

CREATE TABLE IF NOT EXISTS plans (
    name                      text PRIMARY KEY,
    ai_features               text NOT NULL CHECK (ai_features IN ('none', 'basic', 'full')),
    ai_operations_per_period  integer CHECK (ai_operations_per_period >= 0)  -- NULL: unlimited
);

INSERT INTO plans (name, ai_features, ai_operations_per_period) VALUES
    ('free', 'none', 0),
    ('pro', 'basic', 500),
    ('business', 'full', NULL)
ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS organizations (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                  text NOT NULL,
    slug                  text NOT NULL,          -- unique across organizations: global_names
    plan                  text NOT NULL REFERENCES plans (name),
    -- AI settings: model, fallbackModels, embeddingModel, systemPrompts {operation: prompt},
    -- intentTaxonomy [{name, description}], autoTriage, redactPii, replyTone.
    ai_settings           jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Per-organization override of the plan's quota (NULL: the plan's).
    ai_operations_limit   integer CHECK (ai_operations_limit >= 0),
    billing_anchor        timestamptz NOT NULL DEFAULT date_trunc('month', now()),
    last_ticket_number    bigint NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Accounts

CREATE TABLE IF NOT EXISTS users (
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                  uuid NOT NULL DEFAULT gen_random_uuid(),
    email               text NOT NULL,
    name                text NOT NULL,
    role                text NOT NULL CHECK (role IN ('admin', 'agent', 'viewer')),
    password_hash       text,
    expertise           text[] NOT NULL DEFAULT '{}',
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
-- A login names an e-mail address only, so it must find exactly one account: the address is
-- claimed in global_names (below); this index only finds it.
CREATE INDEX IF NOT EXISTS users_email_idx ON users (lower(email));

CREATE TABLE IF NOT EXISTS sessions (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    user_agent      text,
    client_address  text,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions (org_id, user_id) WHERE revoked_at IS NULL;

-- Failed logins, for throttling by e-mail and by client address. Unlogged: losing it in a crash
-- only forgets recent failures.
CREATE UNLOGGED TABLE IF NOT EXISTS login_failures (
    key         text NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS login_failures_key_idx ON login_failures (key, failed_at);

CREATE TABLE IF NOT EXISTS api_keys (
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL,
    prefix          text NOT NULL,          -- shown in lists, e.g. "hd_3f9a1c"
    secret_hash     text NOT NULL,          -- sha256 of the whole key; keys are random, not passwords
    scopes          text[] NOT NULL,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    PRIMARY KEY (org_id, id)
);
-- The prefix is unique across organizations (claimed in global_names); this index finds a key.
CREATE INDEX IF NOT EXISTS api_keys_prefix_idx ON api_keys (prefix);

-- ---------------------------------------------------------------------------------------------
-- Names unique across all organizations (rule 5 above). A reference table: one row per claimed
-- name, written only when an organization, an account or an API key is created, renamed or
-- deleted, by the trigger below, so no code path can forget it. A duplicate fails the insert on
-- the tenant table with a unique violation, as the unique indexes it replaces did.
CREATE TABLE IF NOT EXISTS global_names (
    kind        text NOT NULL CHECK (kind IN ('organization-slug', 'user-email', 'api-key-prefix')),
    name        text NOT NULL,
    owner_org_id uuid NOT NULL,            -- whose it is (not a tenant key: this table is global)
    PRIMARY KEY (kind, name)
);

-- Trigger arguments: the kind, the column holding the name, the column holding the org's id.
-- E-mail addresses are claimed lower-cased (logins compare them case-insensitively).
CREATE OR REPLACE FUNCTION helpdesk_claim_global_name() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_name text;
    new_name text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_name := to_jsonb(OLD) ->> TG_ARGV[1];
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_name := to_jsonb(NEW) ->> TG_ARGV[1];
    END IF;
    IF TG_ARGV[0] = 'user-email' THEN
        old_name := lower(old_name);
        new_name := lower(new_name);
    END IF;
    IF old_name IS NOT DISTINCT FROM new_name THEN
        RETURN NULL;
    END IF;
    IF old_name IS NOT NULL THEN
        DELETE FROM global_names WHERE kind = TG_ARGV[0] AND name = old_name;
    END IF;
    IF new_name IS NOT NULL THEN
        INSERT INTO global_names (kind, name, owner_org_id)
        VALUES (TG_ARGV[0], new_name, (to_jsonb(NEW) ->> TG_ARGV[2])::uuid);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER organizations_slug_claim AFTER INSERT OR DELETE OR UPDATE OF slug ON organizations
    FOR EACH ROW EXECUTE FUNCTION helpdesk_claim_global_name('organization-slug', 'slug', 'id');
CREATE OR REPLACE TRIGGER users_email_claim AFTER INSERT OR DELETE OR UPDATE OF email ON users
    FOR EACH ROW EXECUTE FUNCTION helpdesk_claim_global_name('user-email', 'email', 'org_id');
CREATE OR REPLACE TRIGGER api_keys_prefix_claim AFTER INSERT OR DELETE OR UPDATE OF prefix ON api_keys
    FOR EACH ROW EXECUTE FUNCTION helpdesk_claim_global_name('api-key-prefix', 'prefix', 'org_id');

-- A database made by the schema before global_names: claim its names, then drop the global
-- unique indexes they replace (once; afterwards the old indexes are gone and this does nothing).
DO $$
BEGIN
    IF to_regclass('users_email_key') IS NOT NULL OR to_regclass('api_keys_prefix_key') IS NOT NULL
       OR to_regclass('organizations_slug_key') IS NOT NULL THEN
        INSERT INTO global_names (kind, name, owner_org_id)
            SELECT 'organization-slug', slug, id FROM organizations
            UNION ALL SELECT 'user-email', lower(email), org_id FROM users
            UNION ALL SELECT 'api-key-prefix', prefix, org_id FROM api_keys
        ON CONFLICT DO NOTHING;
        ALTER TABLE organizations DROP CONSTRAINT IF EXISTS organizations_slug_key;
        DROP INDEX IF EXISTS users_email_key;
        DROP INDEX IF EXISTS api_keys_prefix_key;
    END IF;
END
$$;
CREATE INDEX IF NOT EXISTS organizations_slug_idx ON organizations (slug);

-- ---------------------------------------------------------------------------------------------
-- Helpdesk data

-- Full-text search. The 'simple' configuration (no stemming, no stop words): tickets arrive in at
-- least six languages (en, es, fr, de, it, pt), a ticket's language is not known when it is
-- indexed, and stemming with another language's rules mangles words. On top of it, accents and
-- ligatures are folded on both sides, because people type "facturacion" as often as
-- "facturación" and "Ruckerstattung" for "Rückerstattung". Write vectors with
-- helpdesk_search_vector and query them with helpdesk_search_query, never with to_tsvector or
-- websearch_to_tsquery directly, or accented words stop matching.
CREATE OR REPLACE FUNCTION helpdesk_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN translate(
        replace(replace(replace(lower(value), 'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'),
        'àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľŀńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžșțøłđı',
        'aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijkllllnnnooorrrssssttuuuuuuwyzzzstoldi');

CREATE OR REPLACE FUNCTION helpdesk_search_vector(value text, weight "char") RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('simple'::regconfig, helpdesk_fold(coalesce(value, ''))), weight);

-- websearch syntax: words are ANDed, "quoted phrases", `or`, and -excluded words.
CREATE OR REPLACE FUNCTION helpdesk_search_query(value text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN websearch_to_tsquery('simple'::regconfig, helpdesk_fold(coalesce(value, '')));

CREATE TABLE IF NOT EXISTS customers (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    name        text,
    email       text,
    traits      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS customers_email_key ON customers (org_id, lower(email)) WHERE email IS NOT NULL;

CREATE TABLE IF NOT EXISTS tickets (
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                  uuid NOT NULL DEFAULT gen_random_uuid(),
    number              bigint NOT NULL,
    subject             text NOT NULL,
    description         jsonb NOT NULL,     -- as sent: a JSON string or a TipTap document
    description_text    text NOT NULL,      -- plain text derived from description
    status              text NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'pending', 'on_hold', 'resolved', 'closed')),
    priority            text NOT NULL DEFAULT 'normal'
                        CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    tags                text[] NOT NULL DEFAULT '{}',
    assignee_id         uuid,
    customer_id         uuid,
    ai_summary          text,
    ai_resolved         boolean NOT NULL DEFAULT false,
    escalation_reason   text,
    sla_due_at          timestamptz,
    unread_count        integer NOT NULL DEFAULT 0,
    -- Full-text search over subject (weight A), description (B), messages (C) and the customer's
    -- name and e-mail (D); maintained by the application (app/helpdesk) because messages and
    -- customers live in other tables.
    search_vector       tsvector NOT NULL DEFAULT ''::tsvector,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, number),
    FOREIGN KEY (org_id, assignee_id) REFERENCES users (org_id, id) ON DELETE SET NULL (assignee_id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE SET NULL (customer_id)
);
CREATE INDEX IF NOT EXISTS tickets_created_idx ON tickets (org_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS tickets_status_idx ON tickets (org_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS tickets_assignee_idx ON tickets (org_id, assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_tags_idx ON tickets USING gin (tags);
CREATE INDEX IF NOT EXISTS tickets_search_idx ON tickets USING gin (search_vector);
CREATE INDEX IF NOT EXISTS tickets_unread_idx ON tickets (org_id) WHERE unread_count > 0 AND status NOT IN ('resolved', 'closed');

CREATE TABLE IF NOT EXISTS messages (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket_id       uuid NOT NULL,
    author          text NOT NULL CHECK (author IN ('customer', 'agent')),
    author_user_id  uuid,
    content         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS messages_ticket_idx ON messages (org_id, ticket_id, created_at DESC);

CREATE TABLE IF NOT EXISTS articles (
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    title           text NOT NULL,
    content         text NOT NULL,
    published       boolean NOT NULL DEFAULT false,
    tags            text[] NOT NULL DEFAULT '{}',
    search_vector   tsvector GENERATED ALWAYS AS (
                        helpdesk_search_vector(title, 'A') || helpdesk_search_vector(content, 'B')) STORED,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
-- A database created before accents were folded gets the folding expression (once).
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_attrdef d
        JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = 'articles'::regclass AND a.attname = 'search_vector'
          AND pg_get_expr(d.adbin, d.adrelid) LIKE '%helpdesk_search_vector%'
    ) THEN
        ALTER TABLE articles ALTER COLUMN search_vector
            SET EXPRESSION AS (helpdesk_search_vector(title, 'A') || helpdesk_search_vector(content, 'B'));
    END IF;
END
$$;
CREATE INDEX IF NOT EXISTS articles_created_idx ON articles (org_id, created_at DESC);
CREATE INDEX IF NOT EXISTS articles_search_idx ON articles USING gin (search_vector);

-- ---------------------------------------------------------------------------------------------
-- Embeddings. One row per (item, model); the vector's dimension is the model's. Vectors are
-- stored inline (STORAGE PLAIN): a 512-d vector is just over the TOAST threshold, and TOASTed
-- vectors make exact scans 3x slower. HNSW indexes are per model (a partial expression index
-- with the model's dimension), created when a model is first used.

CREATE TABLE IF NOT EXISTS ticket_embeddings (
    org_id          uuid NOT NULL,
    ticket_id       uuid NOT NULL,
    model           text NOT NULL,
    dimensions      integer NOT NULL,
    embedding       vector NOT NULL,
    content_hash    text NOT NULL,     -- of the text that was embedded, to know when it is stale
    token_count     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, ticket_id, model),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);
ALTER TABLE ticket_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;

CREATE TABLE IF NOT EXISTS article_embeddings (
    org_id          uuid NOT NULL,
    article_id      uuid NOT NULL,
    model           text NOT NULL,
    dimensions      integer NOT NULL,
    embedding       vector NOT NULL,
    content_hash    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, article_id, model),
    FOREIGN KEY (org_id, article_id) REFERENCES articles (org_id, id) ON DELETE CASCADE
);
ALTER TABLE article_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;

-- ---------------------------------------------------------------------------------------------
-- Metering

-- The monthly billing period [period_start, period_end) containing `moment`, anchored at the
-- organization's billing_anchor (its day and time of day, in UTC). In a month too short for the
-- anchor's day the period starts on the month's last day: timestamp + interval 'n months' clamps
-- the day, and every start is computed from the anchor, not from the previous period. Mirrors
-- app.metering.current_period, which the tests compare it with.
CREATE OR REPLACE FUNCTION billing_period(
    anchor timestamptz, moment timestamptz, OUT period_start timestamptz, OUT period_end timestamptz
) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH utc AS (
        SELECT anchor AT TIME ZONE 'UTC' AS anchor, moment AT TIME ZONE 'UTC' AS moment
    ), calendar_months AS (
        SELECT anchor, moment,
               ((extract(year FROM moment) - extract(year FROM anchor)) * 12
                + extract(month FROM moment) - extract(month FROM anchor))::integer AS months
        FROM utc
    ), elapsed AS (
        -- Before the anchor's day and time of day in this month: still the previous period.
        SELECT anchor, months - (anchor + make_interval(months => months) > moment)::integer AS months
        FROM calendar_months
    )
    SELECT (anchor + make_interval(months => months)) AT TIME ZONE 'UTC',
           (anchor + make_interval(months => months + 1)) AT TIME ZONE 'UTC'
    FROM elapsed
$$;

-- One row per organization and billing period: the quota counter. A call reserves an operation
-- with a conditional UPSERT (atomic across processes; app/metering.py) and releases it if the
-- call fails.
CREATE TABLE IF NOT EXISTS ai_usage_periods (
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    period_start    timestamptz NOT NULL,
    period_end      timestamptz NOT NULL,
    operations      integer NOT NULL DEFAULT 0 CHECK (operations >= 0),
    PRIMARY KEY (org_id, period_start)
);

-- The token ledger: one row per model or embedding call.
CREATE TABLE IF NOT EXISTS token_usage (
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                  uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id             uuid,
    api_key_id          uuid,
    operation           text NOT NULL,
    model               text NOT NULL,
    prompt_tokens       integer NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens   integer NOT NULL CHECK (completion_tokens >= 0),
    total_tokens        integer GENERATED ALWAYS AS (prompt_tokens + completion_tokens) STORED,
    cost_usd            numeric(14, 8),
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
CREATE INDEX IF NOT EXISTS token_usage_created_idx ON token_usage (org_id, created_at DESC);

-- The AI request rate: per user or API key, the times of its admitted calls in the last minute
-- (a sliding window: at most the limit in ANY 60 seconds, not per clock minute). Unlogged: a
-- crash only forgets the last minute. It replaces the fixed per-minute windows of before.
DROP TABLE IF EXISTS rate_limit_windows;
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_calls (
    org_id          uuid NOT NULL,
    subject         text NOT NULL,          -- "user:<id>" or "key:<id>"
    calls           timestamptz[] NOT NULL, -- admitted calls inside the window, oldest first
    PRIMARY KEY (org_id, subject)
);

-- The organization's rows that hold no call inside the last two windows (of users and keys gone
-- quiet, or gone): they say nothing a missing row would not. At most 1000 per sweep, and rows another
-- caller holds are skipped rather than waited for. Returns how many were deleted.
CREATE OR REPLACE FUNCTION sweep_rate_limit_calls(
    p_org uuid, p_keep_subject text, p_span interval, p_at timestamptz
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    deleted integer;
BEGIN
    DELETE FROM rate_limit_calls r
    WHERE r.org_id = p_org AND r.subject IN (
        SELECT q.subject FROM rate_limit_calls q
        WHERE q.org_id = p_org AND q.subject <> p_keep_subject
          -- Twice the window: a concurrent caller's clock may be a moment behind this one.
          AND NOT EXISTS (SELECT FROM unnest(q.calls) AS call WHERE call > p_at - 2 * p_span)
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;

-- Admit one call at `at` if fewer than `call_limit` were admitted in the `span` before it.
-- Returns NULL when admitted, else the moment the next call will be (the oldest call in the
-- window leaving it), which makes Retry-After exact. Refused calls are not recorded, so
-- retrying early never pushes that moment back. The row lock queues concurrent callers of
-- every worker, and each statement here reads the latest committed row. One call in a hundred
-- also sweeps the organization's quiet rows, once it holds its own row: the sweep then waits
-- for no lock, so two sweeping callers cannot deadlock. A row another caller swept between this
-- function's insert and its lock is simply inserted again.
CREATE OR REPLACE FUNCTION admit_rate(
    p_org uuid, p_subject text, p_limit integer, p_span interval, p_at timestamptz
) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    logged timestamptz[];
    recent timestamptz[];
BEGIN
    LOOP
        INSERT INTO rate_limit_calls (org_id, subject, calls) VALUES (p_org, p_subject, '{}')
        ON CONFLICT (org_id, subject) DO NOTHING;
        SELECT r.calls INTO logged FROM rate_limit_calls r
        WHERE r.org_id = p_org AND r.subject = p_subject FOR UPDATE;
        EXIT WHEN FOUND;
    END LOOP;
    IF random() < 0.01 THEN
        PERFORM sweep_rate_limit_calls(p_org, p_subject, p_span, p_at);
    END IF;
    recent := ARRAY(SELECT call FROM unnest(logged) AS call WHERE call > p_at - p_span ORDER BY call);
    IF cardinality(recent) >= p_limit THEN
        RETURN recent[cardinality(recent) - p_limit + 1] + p_span;
    END IF;
    UPDATE rate_limit_calls SET calls = recent || p_at WHERE org_id = p_org AND subject = p_subject;
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The assist loop: auto-triage, suggestions and the feedback on them

-- What auto-triage did to a ticket (NULL: never triaged): {at, status, applied, suggested,
-- confidence, model, reason}. Fields a person set explicitly are listed in manual_fields, and
-- triage never overwrites them.
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS ai_triage jsonb;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS manual_fields text[] NOT NULL DEFAULT '{}';

-- Tickets waiting for auto-triage. A row is written in the transaction that creates (or reopens)
-- the ticket and deleted in the transaction that applies the triage and charges for it, so a
-- restart in between triages the ticket after the next start, charged once.
CREATE TABLE IF NOT EXISTS triage_jobs (
    org_id          uuid NOT NULL,
    ticket_id       uuid NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('created', 'reopened')),
    attempts        integer NOT NULL DEFAULT 0,
    not_before      timestamptz NOT NULL DEFAULT now(),
    enqueued_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, ticket_id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS triage_jobs_due_idx ON triage_jobs (not_before);

-- Every AI answer a person can act on, so feedback can name it. Written in the transaction of
-- the answer's token ledger rows.
CREATE TABLE IF NOT EXISTS ai_suggestions (
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    operation       text NOT NULL,      -- the procedure's operation, e.g. summarizeTicket
    model           text NOT NULL,
    ticket_id       uuid,
    user_id         uuid,
    api_key_id      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
CREATE INDEX IF NOT EXISTS ai_suggestions_created_idx ON ai_suggestions (org_id, created_at DESC);

-- One verdict per suggestion and user; a later verdict replaces the earlier one.
CREATE TABLE IF NOT EXISTS ai_feedback (
    org_id          uuid NOT NULL,
    suggestion_id   uuid NOT NULL,
    user_id         uuid NOT NULL,
    verdict         text NOT NULL CHECK (verdict IN ('accepted', 'edited', 'rejected')),
    final_text      text,               -- kept only when the organization allows it
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, suggestion_id, user_id),
    FOREIGN KEY (org_id, suggestion_id) REFERENCES ai_suggestions (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
