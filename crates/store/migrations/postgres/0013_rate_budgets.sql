-- Rate budgets the gateways on this database share (crates/store/src/rates.rs): one row per
-- upstream, or per upstream and endpoint. `tat` is the GCRA's theoretical arrival time, in
-- microseconds since the Unix epoch on the database's clock.
CREATE TABLE IF NOT EXISTS rate_budgets (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
