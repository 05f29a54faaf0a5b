-- Renewable upstream credentials (an OAuth grant's tokens), one row per upstream, so that a
-- rotated refresh token survives a restart and every gateway on the store renews from the
-- newest one. `seed` is a digest of the refresh token the configuration was given: a new one
-- in the configuration starts the row afresh.
CREATE TABLE upstream_tokens (
    upstream TEXT PRIMARY KEY,
    seed TEXT NOT NULL,
    access_token TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
