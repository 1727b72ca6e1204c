-- What an integration loads from its origin, as a path: the analytics script of `extanalytics`
-- (emitted only once granted, TP-4). Empty for integrations that need none.
ALTER TABLE portal_integrations ADD COLUMN resource TEXT NOT NULL DEFAULT '';
