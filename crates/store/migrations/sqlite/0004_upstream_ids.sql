-- Agents that live in an upstream helpdesk get a row here too, in the tenant
-- "upstream:<name>": it gives them gateway ids of every kind (stable, never reused, shared by
-- every gateway on this database), maps them to the upstream's own id, and keeps the fields
-- the upstream cannot hold (shadow fields) in `doc`.
ALTER TABLE agents ADD COLUMN native_id TEXT;
CREATE UNIQUE INDEX agents_by_native_id ON agents (tenant, native_id) WHERE native_id IS NOT NULL AND deleted = 0;
