-- More searchable columns, derived from the stored document like the others: an identity
-- provider's own id for the agent (SCIM `externalId`, compared case-exactly), whether the
-- account is active (SCIM `active`), and its teams (`teams_norm`: each name lowercased, every
-- one between newlines, so "in team X" is one substring test on either database). `derived`
-- says which version of the derived columns a row has: the store fills the rows stored
-- before this migration when it opens (Rust derives them, as for every write).
ALTER TABLE agents ADD COLUMN external_id TEXT;
ALTER TABLE agents ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN teams_norm TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;
CREATE INDEX agents_by_external_id ON agents (tenant, external_id) WHERE deleted = 0;
