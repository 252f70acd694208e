/** The drawing formats of `sluice graph --format` (apart, so the command line lists them without loading the drawing code). */
export const drawFormats = ["mermaid", "dot", "svg"] as const;
export type DrawFormat = (typeof drawFormats)[number];

/** True when `value` names a drawing format. */
export function isDrawFormat(value: unknown): value is DrawFormat {
  return typeof value === "string" && (drawFormats as readonly string[]).includes(value);
}
