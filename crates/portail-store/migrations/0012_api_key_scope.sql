-- A key can be limited to the portal's public data: it then reads what anonymous callers read,
-- even when its owner may see restricted datasets.
ALTER TABLE api_keys ADD COLUMN public_only INTEGER NOT NULL DEFAULT 0;
