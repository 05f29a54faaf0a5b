-- `agentgw migrate` records each agent it has copied (source id → target id), so a run killed
-- halfway resumes without duplicates and a second run knows there is nothing left to do.
CREATE TABLE migration_journal (
    run        TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (run, source_id)
);
