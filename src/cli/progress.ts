/**
 * Progress of a deploy or a run, one line per object. On a terminal each object keeps its
 * line and it is rewritten in place as the object moves on (applied, then ready); elsewhere
 * (a CI log, a pipe) every change is a plain line of its own, so logs read top to bottom.
 */
export class Progress {
  readonly #rows = new Map<string, number>();
  #count = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb",
  ) {}

  /** Sets the line of `key` (an object) to `text`. */
  update(key: string, text: string): void {
    if (!this.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    const row = this.#rows.get(key);
    if (row === undefined) {
      this.#rows.set(key, this.#count++);
      this.out.write(`${text}\n`);
      return;
    }
    // Up to the object's row, rewrite it, and back down below the last row.
    const up = this.#count - row;
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  }

  /** A line that belongs to no object (a summary, a note). */
  note(text: string): void {
    if (this.tty) this.#count++;
    this.out.write(`${text}\n`);
  }
}
