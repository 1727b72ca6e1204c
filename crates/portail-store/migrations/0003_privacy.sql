-- Consent (integrations, choice records, archived banner/panel versions), content pages and
-- audience measurement aggregates. See shared/spec/consent-and-privacy.md.

CREATE TABLE portal_privacy (
    portal_id                 INTEGER PRIMARY KEY REFERENCES portals(id) ON DELETE CASCADE,
    consent_revision          INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds of the last change of the consent version (gpc.json `lastUpdate`, policy page).
    consent_changed_at        INTEGER NOT NULL DEFAULT 0,
    privacy_contact           TEXT NOT NULL DEFAULT '',
    audience_retention_months INTEGER NOT NULL DEFAULT 25 CHECK (audience_retention_months BETWEEN 1 AND 25)
);

INSERT INTO portal_privacy (portal_id, consent_changed_at) SELECT id, created_at FROM portals;

-- Third-party integrations a portal's admin enabled (REG-3). `kind` is a compiled-in integration
-- key (`video`, `maptiles`, `extanalytics`); `cookies` is the JSON list of cookies the vendor sets.
CREATE TABLE portal_integrations (
    portal_id   INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    privacy_url TEXT NOT NULL,
    cookies     TEXT NOT NULL DEFAULT '[]',
    enabled_at  INTEGER NOT NULL,
    PRIMARY KEY (portal_id, kind)
);

-- REC-1: exactly these columns; no IP, user agent, referer, session, user or URL (REC-2).
CREATE TABLE consent_records (
    record_id          TEXT PRIMARY KEY,
    portal_id          INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    decided_at         INTEGER NOT NULL,
    consent_version    TEXT NOT NULL,
    ui_version         TEXT NOT NULL,
    language           TEXT NOT NULL CHECK (language IN ('en', 'fr')),
    source             TEXT NOT NULL CHECK (source IN ('banner', 'panel', 'placeholder')),
    purposes           TEXT NOT NULL,
    audience           TEXT NOT NULL CHECK (audience IN ('allowed', 'objected')),
    signal_present     INTEGER NOT NULL,
    previous_record_id TEXT
);
CREATE INDEX consent_records_by_portal ON consent_records (portal_id, decided_at);

-- REC-4: every banner/panel version a record may refer to.
CREATE TABLE consent_ui_versions (
    ui_version TEXT NOT NULL,
    language   TEXT NOT NULL,
    content    TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (ui_version, language)
);

CREATE TABLE content_pages (
    portal_id  INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    title_en   TEXT NOT NULL,
    title_fr   TEXT NOT NULL,
    body_en    TEXT NOT NULL,
    body_fr    TEXT NOT NULL,
    -- Address of a video shown through the portal's `video` integration, if any.
    video_url  TEXT,
    PRIMARY KEY (portal_id, slug)
);

-- AN-4: aggregate counters only, one table per dimension, never cross-tabulated.
CREATE TABLE audience_pageviews (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, hour INTEGER NOT NULL, path TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (portal_id, day, hour, path)
);
CREATE TABLE audience_searches (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, term TEXT NOT NULL, count INTEGER NOT NULL, zero_results INTEGER NOT NULL,
    PRIMARY KEY (portal_id, day, term)
);
CREATE TABLE audience_visitors (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_referrers (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_browsers (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_systems (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_devices (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_languages (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_datasets (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_api_calls (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_exports (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
CREATE TABLE audience_embeds (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
