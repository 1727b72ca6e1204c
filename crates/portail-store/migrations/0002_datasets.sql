-- Datasets, their stored versions and import jobs.
CREATE TABLE datasets (
    uid             TEXT PRIMARY KEY,
    portal_id       INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    dataset_id      TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    published       INTEGER NOT NULL DEFAULT 0,
    restricted      INTEGER NOT NULL DEFAULT 0,
    current_version INTEGER,
    overrides       TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    modified_at     INTEGER NOT NULL,
    UNIQUE (portal_id, dataset_id)
);

CREATE TABLE dataset_versions (
    dataset_uid TEXT NOT NULL REFERENCES datasets(uid) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    schema      TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_size INTEGER NOT NULL,
    options     TEXT NOT NULL DEFAULT '{}',
    warnings    TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (dataset_uid, version)
);

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    portal_id   INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    dataset_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'failed', 'done')),
    params      TEXT NOT NULL DEFAULT '{}',
    message     TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);
CREATE INDEX jobs_by_status ON jobs (status, id);
