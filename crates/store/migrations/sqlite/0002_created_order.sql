-- Creation-order pages (supporthub, comm100) read a window of a tenant's live agents by id
-- without scanning the tenant.
CREATE INDEX agents_by_id ON agents (tenant, deleted, id);
