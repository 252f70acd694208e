// Part of `npm run build`: writes the graph schema's validator, precompiled by ajv, beside
// dist/graph/schema.js, so that loading a graph does not load and run ajv's compiler
// (~13 MB of `sluice serve`'s RSS). See precompiledValidatorCode in src/graph/schema-precompile.ts.
import { writeFileSync } from "node:fs";
import { precompiledFile } from "../dist/graph/schema.js";
import { precompiledValidatorCode } from "../dist/graph/schema-precompile.js";

writeFileSync(new URL(`../dist/graph/${precompiledFile}`, import.meta.url), precompiledValidatorCode());
