-- When a team last changed (a rename, a change of members through SCIM Groups): a Group's
-- `meta.lastModified`; and an identity provider's own id for it (a Group's `externalId`).
-- Teams made before this migration changed last when they were made.
ALTER TABLE teams ADD COLUMN updated_at TEXT;
ALTER TABLE teams ADD COLUMN external_id TEXT;
UPDATE teams SET updated_at = created_at;
