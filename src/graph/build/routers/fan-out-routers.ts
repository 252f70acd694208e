import type { GraphEvent } from "../../contract.js";
import type { RouterStep } from "../../document.js";
import type { Runner } from "../../executor.js";
import { voteClassification, voteRegression } from "../../oip/index.js";
import { type BuildEnv, reportProblem } from "../env.js";
import type { Route } from "./route.js";

function runAll(routes: Route[], input: unknown, event: GraphEvent): Promise<unknown[]> {
  return Promise.all(routes.map((route) => route.run(input, event)));
}

/** Runs every route on the same input and answers `{route: output}`; one failure fails the step. */
export function parallelRouter(routes: Route[]): Runner {
  return async (input, event) => {
    const outputs = await runAll(routes, input, event);
    const merged: Record<string, unknown> = {};
    routes.forEach((route, i) => {
      merged[route.key] = outputs[i];
    });
    return merged;
  };
}

interface OipLike {
  outputs: { name: string; shape: number[]; datatype: string; data: unknown[] | ArrayLike<unknown> }[];
  id?: string;
}

function isOipResponse(value: unknown): value is OipLike {
  return typeof value === "object" && value !== null && Array.isArray((value as OipLike).outputs);
}

/** The values to vote on: an OIP response's first output, an array, or a scalar. */
function ballot(value: unknown): unknown[] {
  if (isOipResponse(value)) {
    const data = value.outputs[0]?.data ?? [];
    // A model's typed array (a Float32Array of scores) is voted on as its elements.
    return Array.isArray(data) ? data : Array.from(data);
  }
  return Array.isArray(value) ? value : [value];
}

/**
 * Runs every route and combines their answers: a weighted majority per element
 * (`vote: classification`) or a weighted mean (`vote: regression`). Models answer as OIP, so
 * the vote is over each response's first output and the answer is an OIP response too.
 */
export function ensembleRouter(
  spec: RouterStep,
  at: string,
  name: string,
  routes: Route[],
  env: BuildEnv,
): Runner {
  const weights = routes.map((r) => spec.weights?.[r.key] ?? 1);
  for (const key of Object.keys(spec.weights ?? {})) {
    if (!routes.some((r) => r.key === key))
      reportProblem(env, `${at}/weights/${key}`, `unknown route "${key}"`, name);
  }
  const regression = spec.vote === "regression";
  return async (input, event) => {
    const outputs = await runAll(routes, input, event);
    const ballots = outputs.map(ballot);
    const voted = regression
      ? voteRegression(ballots as number[][], weights)
      : voteClassification(ballots, weights);
    const first = outputs[0];
    if (!isOipResponse(first)) return Array.isArray(first) ? voted : voted[0];
    const template = first.outputs[0];
    return {
      model_name: name,
      ...(first.id === undefined ? {} : { id: first.id }),
      outputs: [
        {
          name: template?.name ?? "output-0",
          shape: template?.shape ?? [voted.length],
          datatype: regression ? "FP64" : (template?.datatype ?? "BYTES"),
          data: voted,
        },
      ],
    };
  };
}
