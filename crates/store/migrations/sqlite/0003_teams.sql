-- Teams (libredesk teams, comm100 departments) per tenant, created on first use by name.
-- Agents refer to them by name in their document; ids and emoji are assigned here once.
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant     TEXT    NOT NULL,
    guid       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    name_norm  TEXT    NOT NULL,
    emoji      TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX teams_by_name ON teams (tenant, name_norm);
