import type Database from "better-sqlite3";
import { SluiceError } from "../../errors.js";
import { migrations } from "./sql.js";

/** The SQLite side of the store: its statements, its schema migration, its errors in words. */

const statementNames = [
  "insertVersion",
  "setTag",
  "tagHash",
  "hashesLike",
  "tagsOfName",
  "tagsOfVersion",
  "version",
  "list",
  "allTags",
  "deleteVersion",
  "deleteTag",
  "deleteName",
  "countTags",
  "names",
] as const;

export type Statements = Record<(typeof statementNames)[number], Database.Statement>;

/** Every statement the store runs, prepared once per open store. */
export function statements(db: Database.Database): Statements {
  return {
    insertVersion: db.prepare(
      "INSERT INTO versions (project, name, hash, kind, body, origin, created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    setTag: db.prepare(
      "INSERT INTO tags (project, name, tag, hash, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (project, name, tag) DO UPDATE SET hash = excluded.hash, updated = excluded.updated",
    ),
    tagHash: db.prepare("SELECT hash FROM tags WHERE project = ? AND name = ? AND tag = ?").pluck(),
    hashesLike: db
      .prepare("SELECT hash FROM versions WHERE project = ? AND name = ? AND hash LIKE ? || '%' LIMIT 3")
      .pluck(),
    tagsOfName: db.prepare("SELECT tag FROM tags WHERE project = ? AND name = ? ORDER BY tag").pluck(),
    tagsOfVersion: db
      .prepare("SELECT tag FROM tags WHERE project = ? AND name = ? AND hash = ? ORDER BY tag")
      .pluck(),
    version: db.prepare(
      "SELECT body, origin, created FROM versions WHERE project = ? AND name = ? AND hash = ?",
    ),
    list: db.prepare(`
      SELECT v.project, v.name, v.hash, v.kind, v.created,
        (SELECT group_concat(t.tag, ',') FROM tags t
          WHERE t.project = v.project AND t.name = v.name AND t.hash = v.hash) AS tags
      FROM versions v
      WHERE (@project IS NULL OR v.project = @project) AND (@name IS NULL OR v.name = @name)
      ORDER BY v.project, v.name, v.created DESC, v.rowid DESC`),
    allTags: db.prepare(
      "SELECT project, name, tag, hash FROM tags WHERE (@project IS NULL OR project = @project) AND (@name IS NULL OR name = @name) ORDER BY project, name, tag",
    ),
    deleteVersion: db.prepare("DELETE FROM versions WHERE project = ? AND name = ? AND hash = ?"),
    deleteTag: db.prepare("DELETE FROM tags WHERE project = ? AND name = ? AND tag = ?"),
    deleteName: db.prepare("DELETE FROM versions WHERE project = ? AND name = ?"),
    countTags: db.prepare("SELECT count(*) FROM tags WHERE project = ? AND name = ?").pluck(),
    names: db.prepare("SELECT DISTINCT name FROM versions WHERE project = ? ORDER BY name").pluck(),
  };
}

/**
 * Brings the file's tables up to date in one IMMEDIATE transaction, so two processes opening
 * a new store at once create them once.
 */
export function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > migrations.length) {
      throw new SluiceError("SLUICE_ERR_STORE", `the function store ${path} was written by a newer sluice`, {
        hint: "upgrade sluice, or point --store at another file",
      });
    }
    for (const step of migrations.slice(version)) db.exec(step);
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

/** SQLite's failures as one line a user can act on. */
export function storeCall<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    const code = (error as { code?: string }).code ?? "";
    const message = error instanceof Error ? error.message : String(error);
    if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY")) {
      throw new SluiceError(
        "SLUICE_ERR_STORE",
        `the function store ${path} stayed locked by another writer`,
        {
          cause: error,
          hint: "another sluice is writing to it; try again",
        },
      );
    }
    if (code === "SQLITE_NOTADB") {
      throw new SluiceError("SLUICE_ERR_STORE", `${path} is not a sluice function store (not SQLite)`, {
        cause: error,
      });
    }
    if (code.startsWith("SQLITE_CANTOPEN") || (error as NodeJS.ErrnoException).syscall !== undefined) {
      throw new SluiceError("SLUICE_ERR_STORE", `cannot open the function store ${path}: ${message}`, {
        cause: error,
        hint: "set --store, SLUICE_STORE or SLUICE_HOME to a writable place",
      });
    }
    throw new SluiceError("SLUICE_ERR_STORE", `function store ${path}: ${message}`, { cause: error });
  }
}
