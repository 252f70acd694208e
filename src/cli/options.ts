import { SluiceError } from "../errors.js";
import { durationMs, durationProblem, parseDuration } from "../graph/duration.js";

/** A TCP port (0 picks a free one). */
export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SluiceError("SLUICE_ERR_USAGE", `${flag} must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new SluiceError("SLUICE_ERR_USAGE", `${flag} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

/** `250ms`, `30s`, `2m` or milliseconds. */
export function parseDurationFlag(value: string, flag: string): number {
  const given = /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  const ms = parseDuration(given);
  if (ms === undefined) {
    const tooLong = durationMs(given) !== undefined;
    throw new SluiceError(
      "SLUICE_ERR_USAGE",
      tooLong
        ? `${flag}: ${durationProblem(given)}`
        : `${flag} must be a duration like 30s or 500ms, got "${value}"`,
    );
  }
  return ms;
}

const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `4mb`, `512kb` or bytes. */
export function parseSize(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
  if (!match)
    throw new SluiceError("SLUICE_ERR_USAGE", `${flag} must be a size like 4mb or 512kb, got "${value}"`);
  return Math.floor(Number(match[1]) * (sizeUnits[(match[2] ?? "b").toLowerCase()] ?? 1));
}
