import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { postJson, testGateway } from "../helpers/gateway.js";
import { allEvents, generateStream, sseReader } from "../helpers/sse.js";

type Event = { text_output?: string; error?: string };

/** What a token model saw (test/fixtures/gateway/token-models.mjs, through its `state` model). */
async function modelState(url: string, model: string) {
  const { body } = await postJson(`${url}/v2/models/state/infer`, {
    inputs: [{ name: "model", datatype: "BYTES", shape: [1], data: [model] }],
  });
  const [pulled, aborted, returned, returnedAtUnload] =
    (body as { outputs: { data: number[] }[] }).outputs[0]?.data ?? [];
  return {
    pulled: Number(pulled),
    aborted: Number(aborted),
    returned: Number(returned),
    returnedAtUnload: Number(returnedAtUnload),
  };
}

async function stateOf(url: string, name: string): Promise<string | undefined> {
  const { body } = await postJson(`${url}/v2/repository/index`, {});
  return (body as { name: string; state: string }[]).find((e) => e.name === name)?.state;
}

/** The generation models, with the model repository served and `timeoutMs` as the unload's patience. */
function served(timeoutMs: number) {
  return testGateway(["generate-models.yaml"], { modelRepository: true, timeoutMs });
}

describe("unloading a model that is generating", () => {
  it("waits for the streams in flight to end, refusing new generations meanwhile, then runs unload()", async () => {
    const gateway = await served(10_000);
    // 20 tokens, 25 ms apart: half a second of stream.
    const response = await generateStream(`${gateway.url}/v2/models/paced/generate_stream`, {
      text_input: "x",
    });
    const reader = sseReader(response);
    const first = await reader.read();
    expect(JSON.parse(first.value?.data ?? "{}")).toMatchObject({ text_output: "0 " });

    const unloading = postJson(`${gateway.url}/v2/repository/models/paced/unload`, {});
    while ((await stateOf(gateway.url, "paced")) !== "UNLOADING") await sleep(10);
    const refused = await postJson(`${gateway.url}/v2/models/paced/generate`, { text_input: "y" });
    expect(refused).toMatchObject({ status: 503, body: { error: 'model "paced" is being unloaded' } });

    // The stream runs to its end, untouched.
    const rest: Event[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest.push(JSON.parse(value.data) as Event);
    }
    expect(rest.map((e) => e.text_output)).toEqual(Array.from({ length: 19 }, (_, i) => `${i + 1} `));
    expect((await unloading).status).toBe(200);
    expect(await stateOf(gateway.url, "paced")).toBe("UNAVAILABLE");
    // unload() ran after the generator had returned.
    expect(await modelState(gateway.url, "paced")).toMatchObject({
      pulled: 20,
      aborted: 0,
      returnedAtUnload: 1,
    });
  });

  it("aborts the streams still running once it waited the request timeout, and ends them with an error event", async () => {
    const gateway = await served(500);
    const response = await generateStream(`${gateway.url}/v2/models/endless/generate_stream`, {
      text_input: "x",
    });
    expect(response.status).toBe(200);
    const events = allEvents<Event>(response);
    while ((await modelState(gateway.url, "endless")).pulled < 3) await sleep(10);

    const unload = await postJson(`${gateway.url}/v2/repository/models/endless/unload`, {});
    expect(unload.status).toBe(200);
    const got = await events;
    expect(got.at(-1)?.error).toBe(
      'Incomplete generation: model "endless" was unloaded while generating (it waited 500 ms for the generation to end)',
    );
    expect(got.length).toBeGreaterThan(3);
    // The model saw the abort, and its generator had returned before unload() ran.
    expect(await modelState(gateway.url, "endless")).toMatchObject({
      aborted: 1,
      returned: 1,
      returnedAtUnload: 1,
    });
    expect(await stateOf(gateway.url, "endless")).toBe("UNAVAILABLE");
  });
});
