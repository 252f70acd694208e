/** A bench scenario: it measures sluice and a baseline side by side in one run. */

/** What the issue asks of a figure; a figure with no bar is reported only. */
export interface Bar {
  subjectAtLeast?: number;
  subjectBelow?: number;
  ratioAtLeast?: number;
  ratioAtMost?: number;
}

export interface Measured {
  subject: number;
  /** NaN when there is nothing to compare with. */
  baseline: number;
  ratio: number;
}

/** One more row of the table, measured in the same run as its scenario's headline. */
export interface Figure extends Measured {
  name: string;
  unit: string;
  bar: Bar;
}

export interface Scenario {
  name: string;
  unit: string;
  bar: Bar;
  /** Runs only when a filter names it (`npm run bench -- memory`): a soak takes minutes. */
  onlyWhenAsked?: boolean;
  /** The headline figure, and any other rows the same measurement gives (e.g. p99 latency). */
  run(): Promise<Measured & { more?: Figure[] }>;
}

export interface ScenarioResult {
  name: string;
  unit: string;
  subject: number;
  baseline: number;
  ratio: number;
  bar: string;
  /** Undefined when the figure has no bar. */
  pass: boolean | undefined;
}

function judgeFigure(f: Figure): ScenarioResult {
  const { bar, unit } = f;
  const bars: string[] = [];
  const checks: boolean[] = [];
  if (bar.subjectAtLeast !== undefined) {
    bars.push(`≥ ${bar.subjectAtLeast.toLocaleString("en-US")} ${unit}`);
    checks.push(f.subject >= bar.subjectAtLeast);
  }
  if (bar.subjectBelow !== undefined) {
    bars.push(`< ${bar.subjectBelow.toLocaleString("en-US")} ${unit}`);
    checks.push(f.subject < bar.subjectBelow);
  }
  if (bar.ratioAtLeast !== undefined && bar.ratioAtMost !== undefined) {
    bars.push(`${bar.ratioAtLeast} ≤ ratio ≤ ${bar.ratioAtMost}`);
  } else if (bar.ratioAtLeast !== undefined) {
    bars.push(`ratio ≥ ${bar.ratioAtLeast}`);
  } else if (bar.ratioAtMost !== undefined) {
    bars.push(`ratio ≤ ${bar.ratioAtMost}`);
  }
  if (bar.ratioAtLeast !== undefined) checks.push(f.ratio >= bar.ratioAtLeast);
  if (bar.ratioAtMost !== undefined) checks.push(f.ratio <= bar.ratioAtMost);
  const pass = checks.length ? checks.every(Boolean) : undefined;
  const { name, subject, baseline, ratio } = f;
  return { name, unit, subject, baseline, ratio, bar: bars.join(", ") || "(reported)", pass };
}

/** Judges a scenario's headline and its extra rows, each against its own bar. */
export function judge(scenario: Scenario, r: Measured & { more?: Figure[] }): ScenarioResult[] {
  const { subject, baseline, ratio } = r;
  const headline = { name: scenario.name, unit: scenario.unit, bar: scenario.bar, subject, baseline, ratio };
  return [headline, ...(r.more ?? [])].map(judgeFigure);
}
