-- API keys: they authenticate API calls as their owner. Only a SHA-256 digest of a key is
-- kept, never the key, which is shown once when created; the prefix lets its owner tell keys apart.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    portal_id    INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    key_digest   TEXT NOT NULL UNIQUE,
    key_prefix   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_keys_owner ON api_keys (portal_id, user_id);
