import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { FunctionStore } from "../runtimes/index.js";

interface StoreFlag {
  store?: string;
}

type Output = "table" | "json" | "yaml";

// Loaded on demand, so `sluice --help` does not pay for SQLite, ajv and the rest.
const runtimes = () => import("../runtimes/index.js");

/** Opens the store named by --store (or SLUICE_STORE / SLUICE_HOME), runs `work`, closes it. */
async function withStore<T>(command: Command, work: (store: FunctionStore) => Promise<T> | T): Promise<T> {
  const { FunctionStore, storePath } = await runtimes();
  const store = FunctionStore.open(storePath(command.optsWithGlobals<StoreFlag>().store));
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

function output(value: string, allowed: Output[]): Output {
  if (!(allowed as string[]).includes(value)) {
    throw new SluiceError("SLUICE_ERR_USAGE", `-o must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as Output;
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

/**
 * `sluice functions list|get|tag|export|import|delete|runs|hub`: the versioned function store.
 * Every version is kept by content hash; tags point at versions and move atomically.
 */
export function registerFunctions(program: Command): void {
  const functions = program
    .command("functions")
    .description("the versioned function store")
    .option("--store <file>", "the store's file (default: $SLUICE_STORE, else $SLUICE_HOME/functions.db)");

  functions
    .command("list")
    .argument("[name]", "only this function's versions")
    .description("every stored version, newest first, with its tags")
    .option("--project <project>", "only this project's functions")
    .option("-o, --output <format>", "table | json", "table")
    .action(
      async (name: string | undefined, flags: { project?: string; output: string }, command: Command) => {
        const format = output(flags.output, ["table", "json"]);
        const { versionsTable } = await runtimes();
        const versions = await withStore(command, (store) =>
          store.list({ ...(flags.project ? { project: flags.project } : {}), ...(name ? { name } : {}) }),
        );
        if (format === "json") process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
        else if (versions.length === 0)
          process.stderr.write("no functions stored yet (sluice functions import <file>)\n");
        else process.stdout.write(versionsTable(versions));
      },
    );

  functions
    .command("get")
    .argument("<ref>", "name, name:tag, name@hash or project/name...")
    .description("print a stored function's document (with its hash)")
    .option("-o, --output <format>", "yaml | json", "yaml")
    .action(async (ref: string, flags: { output: string }, command: Command) => {
      const format = output(flags.output, ["yaml", "json"]) as "yaml" | "json";
      const { formatDocument } = await runtimes();
      const doc = await withStore(command, (store) => store.get(ref).fn.toDocument());
      process.stdout.write(formatDocument(doc, format));
    });

  functions
    .command("tag")
    .argument("<ref>", "the version to tag: name:tag or name@hash")
    .argument("<tag>", "the tag to point at it (moved if it exists)")
    .description("point a tag at a version, atomically")
    .action(async (ref: string, tag: string, _flags: object, command: Command) => {
      const done = await withStore(command, (store) => store.tag(ref, tag));
      process.stdout.write(`${done.name}:${done.tag} → ${done.name}@${short(done.hash)}\n`);
    });

  functions
    .command("export")
    .argument("[ref]", "one function (its tagged version); none: the whole store")
    .description("write a function document, or a FunctionList of many (for backup or another store)")
    .option("--all", "every version and tag of <ref>'s function, as a FunctionList")
    .option("--project <project>", "with no ref: only this project")
    .option("-o, --output <file>", "write to this file (.json for JSON) instead of stdout")
    .option("--format <format>", "yaml | json (default: by the file's extension, else yaml)")
    .action(async (ref: string | undefined, flags: ExportFlags, command: Command) => {
      const rt = await runtimes();
      const format = flags.format
        ? (output(flags.format, ["yaml", "json"]) as "yaml" | "json")
        : flags.output
          ? rt.formatOfFile(flags.output)
          : "yaml";
      const doc = await withStore(command, (store) => {
        if (ref === undefined)
          return rt.exportFunctions(store, flags.project ? { project: flags.project } : {});
        if (!flags.all) return store.get(ref).fn.toDocument();
        const { project, name } = rt.parseFunctionRef(ref);
        return rt.exportFunctions(store, { project, name });
      });
      const text = rt.formatDocument(doc, format);
      if (flags.output === undefined) process.stdout.write(text);
      else {
        await writeFile(flags.output, text);
        const count =
          "items" in doc
            ? `${doc.items.length} versions`
            : `${doc.metadata.name}@${short(doc.metadata.hash ?? "")}`;
        process.stderr.write(`wrote ${count} to ${flags.output}\n`);
      }
    });

  functions
    .command("import")
    .argument(
      "<source...>",
      "function documents (sluice or MLRun function.yaml), FunctionLists, hub://name[:tag]",
    )
    .description("store functions (every version is kept; the tag moves to the new one)")
    .option("--tag <tag>", "the tag to set (default: the document's metadata.tag, else latest)")
    .option("--project <project>", "store under this project")
    .option(
      "--hub <dir|url>",
      "the hub for hub:// sources (default: $SLUICE_HUB, else the bundled examples/hub)",
    )
    .action(async (sources: string[], flags: ImportFlags, command: Command) => {
      const rt = await runtimes();
      const hub = new rt.Hub(flags.hub);
      await withStore(command, async (store) => {
        for (const source of sources) {
          const read = rt.isHubUri(source)
            ? { type: "function" as const, loaded: await hub.resolve(source) }
            : await rt.readFunctionSource(source);
          if (read.type === "list") {
            const { stored, notes } = rt.importFunctionList(store, read.raw, read.file, read.base);
            for (const note of notes) process.stderr.write(`note: ${note}\n`);
            const fresh = stored.filter((s) => s.created).length;
            process.stdout.write(`${source}: ${stored.length} versions (${fresh} new)\n`);
            continue;
          }
          const { fn, notes, base } = read.loaded;
          for (const note of notes) process.stderr.write(`note: ${source}: ${note}\n`);
          if (flags.project) {
            fn.metadata.project = flags.project;
            fn.validate(source);
          }
          // The origin is kept so a stored function's relative command still resolves (a directory or a hub URL).
          const put = store.put(fn, { ...(flags.tag ? { tag: flags.tag } : {}), origin: base });
          const what = put.created ? "stored" : "unchanged";
          process.stdout.write(`${what} ${put.name}@${short(put.hash)} (tag ${put.tag ?? "none"})\n`);
        }
      });
    });

  functions
    .command("delete")
    .argument("<ref>", "name:tag removes the tag; name@hash removes the version")
    .description("remove a tag, a version, or (--all) a whole function")
    .option("--all", "remove every version and tag of the function")
    .action(async (ref: string, flags: { all?: boolean }, command: Command) => {
      const done = await withStore(command, (store) => store.delete(ref, { all: flags.all === true }));
      process.stdout.write(`deleted ${done.versions} version(s), ${done.tags} tag(s)\n`);
    });

  functions
    .command("runs")
    .argument("[name]", "only this function's runs")
    .description("the latest runs (sluice run --local), newest first")
    .option("--project <project>", "only this project's runs")
    .option("--limit <n>", "how many", "50")
    .option("-o, --output <format>", "table | json", "table")
    .action(async (name: string | undefined, flags: RunsFlags, command: Command) => {
      const format = output(flags.output, ["table", "json"]);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new SluiceError("SLUICE_ERR_USAGE", "--limit must be ≥ 1");
      const { runsTable } = await runtimes();
      const runs = await withStore(command, (store) =>
        store.runs.list({
          limit,
          ...(name ? { name } : {}),
          ...(flags.project ? { project: flags.project } : {}),
        }),
      );
      if (format === "json") process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      else if (runs.length === 0) process.stderr.write("no runs yet (sluice run <function> --local)\n");
      else process.stdout.write(runsTable(runs));
    });

  functions
    .command("hub")
    .description("list the functions of the hub")
    .option("--hub <dir|url>", "the hub (default: $SLUICE_HUB, else the bundled examples/hub)")
    .action(async (flags: { hub?: string }) => {
      const rt = await runtimes();
      const hub = new rt.Hub(flags.hub);
      const rows = (await hub.list()).map(([name, entry]) => [
        `hub://${name}`,
        entry.kind ?? "",
        Object.keys(entry.tags).join(","),
        entry.description ?? "",
      ]);
      process.stdout.write(rt.table(["FUNCTION", "KIND", "TAGS", "DESCRIPTION"], rows));
    });
}

interface ExportFlags {
  all?: boolean;
  project?: string;
  output?: string;
  format?: string;
}

interface ImportFlags {
  tag?: string;
  project?: string;
  hub?: string;
}

interface RunsFlags {
  project?: string;
  limit: string;
  output: string;
}
