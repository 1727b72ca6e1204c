-- Portals, their host names, accounts, sessions and platform-wide secrets.
CREATE TABLE portals (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    default_lang   TEXT NOT NULL,
    langs          TEXT NOT NULL,
    title_en       TEXT NOT NULL DEFAULT '',
    title_fr       TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    description_fr TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
);

CREATE TABLE portal_domains (
    domain    TEXT PRIMARY KEY,
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    portal_id     INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at    INTEGER NOT NULL,
    UNIQUE (portal_id, email)
);

-- Only a SHA-256 digest of the cookie value is kept, never the value.
CREATE TABLE sessions (
    key_digest   TEXT PRIMARY KEY,
    portal_id    INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE platform_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
