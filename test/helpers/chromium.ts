import { existsSync } from "node:fs";
import { runOrFail, TestBedError } from "../infra/process.js";

/** Debian's chromium: playwright-core drives it, and never downloads a browser of its own. */
export const chromiumPath = "/usr/bin/chromium";

/** Installs Debian's chromium with apt-get when it is missing (the machines here run as root). */
export function ensureChromium(): string {
  if (existsSync(chromiumPath)) return chromiumPath;
  if (process.getuid?.() !== 0) {
    throw new TestBedError("chromium", "it is not installed; run `sudo apt-get install -y chromium`");
  }
  runOrFail("chromium", "apt-get", ["update", "-qq"], "apt-get update");
  runOrFail("chromium", "apt-get", ["install", "-y", "-qq", "chromium"], "apt-get install chromium");
  return chromiumPath;
}
