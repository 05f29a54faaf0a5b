-- Each `agentgw migrate` run (every run of a --watch), so the gateway's status page can say
-- when a pair last ran, what it did, and whether a --watch is going on. Dry runs write nothing.
CREATE TABLE migration_runs (
    run          TEXT    NOT NULL,
    number       BIGINT NOT NULL,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    -- JSON: agents per action ({"create": 3, …}), or {"error": "…"} for a run that could not read a side.
    summary      TEXT,
    -- Seconds between the runs of a --watch; NULL for a single run.
    watch_every  BIGINT,
    PRIMARY KEY (run, number)
);
