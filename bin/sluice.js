#!/usr/bin/env node
// The package's command line; the TypeScript sources are compiled to dist/ by `npm install`.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv);
