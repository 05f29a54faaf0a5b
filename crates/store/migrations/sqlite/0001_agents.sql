-- One row per agent ever created in any tenant. Deleted agents keep their row (with personal data
-- scrubbed) so that none of their ids is ever handed out again.
CREATE TABLE agents (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant            TEXT    NOT NULL,
    guid              TEXT    NOT NULL UNIQUE,
    short_id          TEXT    NOT NULL UNIQUE,
    deleted           INTEGER NOT NULL DEFAULT 0,
    email_norm        TEXT,
    username_norm     TEXT,
    first_name_norm   TEXT    NOT NULL DEFAULT '',
    last_name_norm    TEXT    NOT NULL DEFAULT '',
    display_name_norm TEXT    NOT NULL DEFAULT '',
    role              TEXT    NOT NULL,
    availability      TEXT    NOT NULL,
    confirmed         INTEGER NOT NULL,
    banned            INTEGER NOT NULL,
    password_hash     TEXT,
    doc               TEXT    NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
);
-- Email and username are unique per tenant among live agents, case-insensitively (the *_norm
-- columns hold the lowercased value), enforced here so concurrent creates cannot both win.
CREATE UNIQUE INDEX agents_live_email ON agents (tenant, email_norm) WHERE deleted = 0;
CREATE UNIQUE INDEX agents_live_username ON agents (tenant, username_norm) WHERE deleted = 0;
CREATE INDEX agents_by_name ON agents (tenant, deleted, display_name_norm, id);
CREATE INDEX agents_by_updated ON agents (tenant, deleted, updated_at, id);
