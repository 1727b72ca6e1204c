-- AN-7: country counts (ISO 3166-1 alpha-2), kept only for portals whose admin turned
-- `audience_country` on, and only where the platform has an offline country database.
CREATE TABLE audience_countries (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    day TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (portal_id, day, key)
);
ALTER TABLE portal_privacy ADD COLUMN audience_country INTEGER NOT NULL DEFAULT 0;
