-- The dataset's descriptive metadata beyond its title and description (Opendatasoft's default
-- template: theme, keyword, license, license_url, publisher), as one JSON object.
ALTER TABLE datasets ADD COLUMN metas TEXT NOT NULL DEFAULT '{}';
