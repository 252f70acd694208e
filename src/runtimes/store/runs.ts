import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";

/** MLRun's run states: running, then completed, error, or aborted (stopped: a timeout, a signal). */
export type RunState = "running" | "completed" | "error" | "aborted";

/** The record of one run of a function, kept in the store. */
export interface RunRecord {
  uid: string;
  project: string;
  /** The function's name and the version (content hash) that ran. */
  name: string;
  hash: string;
  kind: string;
  state: RunState;
  /** ISO timestamps. */
  start: string;
  end?: string;
  params: Record<string, unknown>;
  results: Record<string, unknown>;
  /** The process's exit code (local runs). */
  exit_code?: number;
  error?: string;
  /** Where a run on Kubernetes went: the object it created (absent for local runs). */
  target?: RunTarget;
}

/** The Kubernetes object of a run: its workload (a Job, a DaskJob, an MPIJob, a SparkApplication). */
export interface RunTarget {
  namespace: string;
  apiVersion: string;
  kind: string;
  name: string;
}

/** The record of a run that starts now: a fresh uid, state `running`, no results yet. */
export function startedRun(
  fn: { project: string; name: string; hash: string; kind: string },
  params: Record<string, unknown>,
): RunRecord {
  return {
    uid: randomUUID().replaceAll("-", ""),
    project: fn.project,
    name: fn.name,
    hash: fn.hash,
    kind: fn.kind,
    state: "running",
    start: new Date().toISOString(),
    params,
    results: {},
  };
}

interface RunRow {
  uid: string;
  project: string;
  name: string;
  hash: string;
  kind: string;
  state: RunState;
  start: string;
  end: string | null;
  params: string;
  results: string;
  exit_code: number | null;
  error: string | null;
  target: string | null;
}

/** The `runs` table: a record is written when a run starts and again when it ends. */
export class RunTable {
  private readonly upsert: Database.Statement;
  private readonly byUid: Database.Statement;
  private readonly recent: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(`
      INSERT INTO runs (uid, project, name, hash, kind, state, start, end, params, results, exit_code, error, target)
      VALUES (@uid, @project, @name, @hash, @kind, @state, @start, @end, @params, @results, @exit_code, @error, @target)
      ON CONFLICT (uid) DO UPDATE SET state = excluded.state, end = excluded.end,
        results = excluded.results, exit_code = excluded.exit_code, error = excluded.error,
        target = excluded.target`);
    this.byUid = db.prepare("SELECT * FROM runs WHERE uid LIKE ? || '%' LIMIT 2");
    this.recent = db.prepare(`
      SELECT * FROM runs WHERE (@project IS NULL OR project = @project) AND (@name IS NULL OR name = @name)
      ORDER BY start DESC LIMIT @limit`);
  }

  save(record: RunRecord): void {
    this.upsert.run({
      ...record,
      end: record.end ?? null,
      params: JSON.stringify(record.params),
      results: JSON.stringify(record.results),
      exit_code: record.exit_code ?? null,
      error: record.error ?? null,
      target: record.target ? JSON.stringify(record.target) : null,
    });
  }

  /** The run whose uid starts with `uid`; undefined when none or several do. */
  get(uid: string): RunRecord | undefined {
    const rows = this.byUid.all(uid) as RunRow[];
    return rows.length === 1 ? fromRow(rows[0] as RunRow) : undefined;
  }

  /** The latest runs, newest first. */
  list(filter: { project?: string; name?: string; limit?: number } = {}): RunRecord[] {
    const rows = this.recent.all({
      project: filter.project ?? null,
      name: filter.name ?? null,
      limit: filter.limit ?? 50,
    }) as RunRow[];
    return rows.map(fromRow);
  }
}

function fromRow(row: RunRow): RunRecord {
  const record: RunRecord = {
    uid: row.uid,
    project: row.project,
    name: row.name,
    hash: row.hash,
    kind: row.kind,
    state: row.state,
    start: row.start,
    params: JSON.parse(row.params) as Record<string, unknown>,
    results: JSON.parse(row.results) as Record<string, unknown>,
  };
  if (row.end !== null) record.end = row.end;
  if (row.exit_code !== null) record.exit_code = row.exit_code;
  if (row.error !== null) record.error = row.error;
  if (row.target !== null) record.target = JSON.parse(row.target) as RunTarget;
  return record;
}
