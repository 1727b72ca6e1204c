-- Files attached to a dataset (documentation, schemas, archives), listed by the API's
-- /attachments; the bytes live in the dataset's directory, this table says what they are.
CREATE TABLE attachments (
    dataset_uid   TEXT NOT NULL REFERENCES datasets(uid) ON DELETE CASCADE,
    attachment_id TEXT NOT NULL,
    title         TEXT NOT NULL,
    mimetype      TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (dataset_uid, attachment_id)
);
