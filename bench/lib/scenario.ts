/** A bench scenario: it measures sluice and a bare baseline side by side in one run. */
export interface Scenario {
  name: string;
  unit: string;
  /** What the issue asks: a floor on sluice's own rate, or on the ratio to the baseline. */
  bar: { subjectAtLeast?: number; ratioAtLeast?: number };
  run(): Promise<{ subject: number; baseline: number; ratio: number }>;
}

export interface ScenarioResult {
  name: string;
  unit: string;
  subject: number;
  baseline: number;
  ratio: number;
  bar: string;
  pass: boolean;
}

export function judge(
  scenario: Scenario,
  r: { subject: number; baseline: number; ratio: number },
): ScenarioResult {
  const bars: string[] = [];
  let pass = true;
  if (scenario.bar.subjectAtLeast !== undefined) {
    bars.push(`≥ ${scenario.bar.subjectAtLeast.toLocaleString("en-US")} ${scenario.unit}`);
    pass &&= r.subject >= scenario.bar.subjectAtLeast;
  }
  if (scenario.bar.ratioAtLeast !== undefined) {
    bars.push(`ratio ≥ ${scenario.bar.ratioAtLeast}`);
    pass &&= r.ratio >= scenario.bar.ratioAtLeast;
  }
  return { name: scenario.name, unit: scenario.unit, ...r, bar: bars.join(", "), pass };
}
