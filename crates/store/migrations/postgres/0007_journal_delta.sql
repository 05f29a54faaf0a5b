-- Delta migrations: per journaled agent, a fingerprint of the source fields the target holds
-- (so a re-run knows what changed at the source, field by field), and each helpdesk's own id
-- (so reports name agents as the helpdesks do, even after one side has deleted them).
-- Rows written before this migration have none: a re-run compares them with the target.
ALTER TABLE migration_journal ADD COLUMN fingerprint TEXT;
ALTER TABLE migration_journal ADD COLUMN source_native TEXT;
ALTER TABLE migration_journal ADD COLUMN target_native TEXT;
