/**
 * The store's tables. A version is immutable and keyed by its content hash; a tag is a
 * movable pointer to one version of the same function; a run is the record of one run.
 * `PRAGMA user_version` says which of these statements a file has seen.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE versions (
    project TEXT NOT NULL,
    name    TEXT NOT NULL,
    hash    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    body    TEXT NOT NULL,            -- the document's content as JSON (no tag, hash, status)
    origin  TEXT,                     -- the directory or URL its relative paths resolve against
    created TEXT NOT NULL,
    PRIMARY KEY (project, name, hash)
  );                                  -- a rowid table: rowid is the order versions were stored in
  CREATE INDEX versions_created ON versions (project, name, created);
  CREATE TABLE tags (
    project TEXT NOT NULL,
    name    TEXT NOT NULL,
    tag     TEXT NOT NULL,
    hash    TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (project, name, tag),
    FOREIGN KEY (project, name, hash) REFERENCES versions (project, name, hash) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX tags_version ON tags (project, name, hash);
  CREATE TABLE runs (
    uid       TEXT PRIMARY KEY,
    project   TEXT NOT NULL,
    name      TEXT NOT NULL,
    hash      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    state     TEXT NOT NULL,
    start     TEXT NOT NULL,
    end       TEXT,
    params    TEXT NOT NULL,
    results   TEXT NOT NULL,
    exit_code INTEGER,
    error     TEXT
  );
  CREATE INDEX runs_function ON runs (project, name, start);
  `,
  // Runs on Kubernetes name the object they created (JSON: namespace, apiVersion, kind, name).
  `
  ALTER TABLE runs ADD COLUMN target TEXT;
  `,
];
