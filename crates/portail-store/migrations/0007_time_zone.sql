-- The portal's time zone (IANA name): the days of its audience statistics (AN-4). Empty means
-- the platform's default (Europe/Paris).
ALTER TABLE portal_privacy ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
