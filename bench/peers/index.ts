/**
 * bench:peers (`npm run bench:peers`, never in CI): sluice against the servers and graph
 * engines it stands in for, on this machine, in one run. The Python peers run from virtual
 * environments this bench makes with pip once per machine (venv.ts).
 */
import type { Scenario } from "../lib/scenario.js";
import { chainContest, chainContestName } from "./chain.js";
import { oipContest, oipContestName } from "./http.js";
import { jsonTensorContest, jsonTensorContestName } from "./json-tensor.js";

export const peerScenarios: Scenario[] = [
  { name: oipContestName, unit: "req/s", bar: {}, onlyWhenAsked: true, run: oipContest },
  { name: chainContestName, unit: "events/s", bar: {}, onlyWhenAsked: true, run: chainContest },
  { name: jsonTensorContestName, unit: "req/s", bar: {}, onlyWhenAsked: true, run: jsonTensorContest },
];
