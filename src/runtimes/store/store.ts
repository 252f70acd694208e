import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SluiceError } from "../../errors.js";
import { FunctionObject } from "../function-object.js";
import { functionHash } from "../hash.js";
import { checkTag, type FunctionRef, parseFunctionRef } from "../ref.js";
import { type AnyFunctionDocument, defaultProject, defaultTag } from "../types.js";
import { type RunRecord, RunTable } from "./runs.js";
import { migrate, type Statements, statements, storeCall } from "./sqlite.js";

export interface StoreOptions {
  /** How long a write waits for another process's write to finish (SQLite's busy timeout). */
  busyTimeoutMs?: number;
}

export interface PutOptions {
  /** The tag to point at this version: the function's own metadata.tag, else `latest`; null moves none. */
  tag?: string | null;
  /** The directory or URL the function's relative paths resolve against. */
  origin?: string;
}

export interface PutResult {
  project: string;
  name: string;
  hash: string;
  tag?: string;
  /** False when this exact content was stored before. */
  created: boolean;
}

/** A version as `functions list` shows it. */
export interface VersionInfo {
  project: string;
  name: string;
  hash: string;
  kind: string;
  created: string;
  tags: string[];
}

export interface StoredFunction {
  fn: FunctionObject;
  origin: string | undefined;
  created: string;
  tags: string[];
}

/** A resolved reference: which version, and the tag it was reached through. */
export interface Resolved {
  project: string;
  name: string;
  hash: string;
  tag?: string;
}

/**
 * The function store: every version of every function, by content hash, and tags that point
 * at versions, in one SQLite file. WAL lets readers run beside a writer; each write is one
 * IMMEDIATE transaction, so two processes writing at once queue (up to the busy timeout)
 * rather than fail or lose a write, and a tag moves in the same transaction as its version.
 */
export class FunctionStore {
  readonly path: string;
  readonly runs: RunTable;
  private readonly db: Database.Database;
  private readonly sql: Statements;

  private constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.runs = new RunTable(db);
    this.sql = statements(db);
  }

  /**
   * Opens (creating it if needed) the store at `path`; `:memory:` keeps it in this process.
   * @throws SluiceError (SLUICE_ERR_STORE) when the file cannot be opened or is not a store.
   */
  static open(path: string, options: StoreOptions = {}): FunctionStore {
    return storeCall(path, () => {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
      try {
        db.pragma("journal_mode = WAL");
        // In WAL mode NORMAL loses no committed write on a process crash, only on power loss.
        db.pragma("synchronous = NORMAL");
        db.pragma("foreign_keys = ON");
        migrate(db, path);
        return new FunctionStore(db, path);
      } catch (error) {
        db.close();
        throw error;
      }
    });
  }

  close(): void {
    this.db.close();
  }

  /** Runs `work` as one IMMEDIATE transaction: all of it is stored, or none. */
  atomically<T>(work: () => T): T {
    return storeCall(this.path, () => this.db.transaction(work).immediate());
  }

  /** Stores a version (kept if it exists) and points a tag at it, atomically. */
  put(fn: FunctionObject, options: PutOptions = {}): PutResult {
    const content = fn.content() as AnyFunctionDocument;
    const hash = functionHash(content);
    const body = JSON.stringify(content);
    const tag = options.tag === null ? undefined : checkTag(options.tag ?? fn.metadata.tag ?? defaultTag);
    const { project, name } = fn;
    const now = new Date().toISOString();
    return this.atomically(() => {
      const created = this.sql.insertVersion.run(
        project,
        name,
        hash,
        fn.kind,
        body,
        options.origin ?? null,
        now,
      );
      if (tag !== undefined) this.sql.setTag.run(project, name, tag, hash, now);
      return { project, name, hash, ...(tag === undefined ? {} : { tag }), created: created.changes > 0 };
    });
  }

  /**
   * Which version a reference names: by tag (`latest` when none is given) or by hash prefix.
   * @throws SluiceError (SLUICE_ERR_FUNCTION_NOT_FOUND) saying what does exist.
   */
  resolve(reference: string | FunctionRef): Resolved {
    const ref = typeof reference === "string" ? parseFunctionRef(reference) : reference;
    const { project, name } = ref;
    return storeCall(this.path, () => {
      if (ref.hash !== undefined) {
        const hashes = this.sql.hashesLike.all(project, name, ref.hash) as string[];
        if (hashes.length === 1) return { project, name, hash: hashes[0] as string };
        if (hashes.length > 1) {
          throw new SluiceError(
            "SLUICE_ERR_USAGE",
            `hash ${ref.hash} is ambiguous for ${name}: ${hashes.join(", ")}`,
            {
              hint: "give more hex digits",
            },
          );
        }
        throw this.notFound(ref, `has no version ${ref.hash}`);
      }
      const tag = ref.tag ?? defaultTag;
      const hash = this.sql.tagHash.get(project, name, tag) as string | undefined;
      if (hash === undefined) throw this.notFound(ref, `has no tag "${tag}"`);
      return { project, name, hash, tag };
    });
  }

  /** The stored function a reference names, with metadata.hash (and the tag it came by) filled in. */
  get(reference: string | FunctionRef): StoredFunction {
    const resolved = this.resolve(reference);
    const { project, name, hash } = resolved;
    const row = this.sql.version.get(project, name, hash) as {
      body: string;
      origin: string | null;
      created: string;
    };
    const fn = new FunctionObject(JSON.parse(row.body) as AnyFunctionDocument);
    fn.metadata.hash = hash;
    if (resolved.tag !== undefined) fn.metadata.tag = resolved.tag;
    const tags = this.sql.tagsOfVersion.all(project, name, hash) as string[];
    return { fn, origin: row.origin ?? undefined, created: row.created, tags };
  }

  /** Every version, newest first within a function; filtered by project and name. */
  list(filter: { project?: string; name?: string } = {}): VersionInfo[] {
    const rows = this.sql.list.all({ project: filter.project ?? null, name: filter.name ?? null }) as (Omit<
      VersionInfo,
      "tags"
    > & {
      tags: string | null;
    })[];
    return rows.map((row) => ({ ...row, tags: row.tags === null ? [] : row.tags.split(",").sort() }));
  }

  /** Every tag, for export. */
  tags(filter: { project?: string; name?: string } = {}): Resolved[] {
    return this.sql.allTags.all({ project: filter.project ?? null, name: filter.name ?? null }) as Resolved[];
  }

  /** Points `tag` at the version `reference` names, atomically; returns the version. */
  tag(reference: string | FunctionRef, tag: string): Resolved & { tag: string } {
    checkTag(tag);
    return this.atomically(() => {
      const { project, name, hash } = this.resolve(reference);
      this.sql.setTag.run(project, name, tag, hash, new Date().toISOString());
      return { project, name, hash, tag };
    });
  }

  /** Points a tag at a known hash (for imports, inside `atomically`). */
  setTag(project: string, name: string, tag: string, hash: string): void {
    this.sql.setTag.run(project, name, checkTag(tag), hash, new Date().toISOString());
  }

  /**
   * `name:tag` removes the tag; `name@hash` removes the version and the tags on it; with
   * `all`, a bare name removes every version of the function.
   */
  delete(
    reference: string | FunctionRef,
    options: { all?: boolean } = {},
  ): { versions: number; tags: number } {
    const ref = typeof reference === "string" ? parseFunctionRef(reference) : reference;
    return this.atomically(() => {
      const { project, name } = ref;
      if (ref.hash !== undefined) {
        const { hash } = this.resolve(ref);
        const tags = (this.sql.tagsOfVersion.all(project, name, hash) as string[]).length;
        return { versions: this.sql.deleteVersion.run(project, name, hash).changes, tags };
      }
      if (ref.tag !== undefined) {
        this.resolve(ref);
        return { versions: 0, tags: this.sql.deleteTag.run(project, name, ref.tag).changes };
      }
      if (!options.all) {
        throw new SluiceError("SLUICE_ERR_USAGE", `say what to delete of "${name}"`, {
          hint: `${name}:<tag> removes a tag, ${name}@<hash> a version, --all every version`,
        });
      }
      const tags = this.sql.countTags.get(project, name) as number;
      const versions = this.sql.deleteName.run(project, name).changes;
      if (versions === 0) throw this.notFound(ref, "is not in the store");
      return { versions, tags };
    });
  }

  /** Records a run (insert or update by uid). */
  saveRun(record: RunRecord): void {
    storeCall(this.path, () => this.runs.save(record));
  }

  private notFound(ref: FunctionRef, what: string): SluiceError {
    const tags = this.sql.tagsOfName.all(ref.project, ref.name) as string[];
    const where = ref.project === defaultProject ? "" : ` in project ${ref.project}`;
    if (tags.length > 0 || (this.sql.hashesLike.all(ref.project, ref.name, "") as string[]).length > 0) {
      const known = tags.length > 0 ? ` (tags: ${tags.join(", ")})` : "";
      return new SluiceError(
        "SLUICE_ERR_FUNCTION_NOT_FOUND",
        `function ${ref.name}${where} ${what}${known}`,
        {
          hint: `sluice functions list ${ref.name} shows its versions`,
        },
      );
    }
    const names = this.sql.names.all(ref.project) as string[];
    const known = names.length > 0 ? `; stored: ${names.slice(0, 10).join(", ")}` : "; the store is empty";
    return new SluiceError(
      "SLUICE_ERR_FUNCTION_NOT_FOUND",
      `no function ${ref.name}${where} in the store${known}`,
      {
        hint: "sluice functions import <file> stores a function",
      },
    );
  }
}
