import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { postJson, testGateway } from "../helpers/gateway.js";
import { allEvents, generateStream, sseReader } from "../helpers/sse.js";

type Chunk = { model_name: string; model_version?: string; text_output: string; details?: unknown };

/** What a token model saw, as the fixture's `state` model tells (test/fixtures/gateway/token-models.mjs). */
async function modelState(url: string, model: string): Promise<Record<string, number>> {
  const { body } = await postJson(`${url}/v2/models/state/infer`, {
    inputs: [{ name: "model", datatype: "BYTES", shape: [1], data: [model] }],
  });
  const [pulled, aborted, returned] = (body as { outputs: { data: number[] }[] }).outputs[0]?.data ?? [];
  return { pulled: Number(pulled), aborted: Number(aborted), returned: Number(returned) };
}

/** Polls a model's state until `done` holds (what the model saw is only known by asking it). */
async function until(
  url: string,
  model: string,
  done: (s: Record<string, number>) => boolean,
  what: string,
): Promise<Record<string, number>> {
  for (let i = 0; i < 300; i++) {
    const state = await modelState(url, model);
    if (done(state)) return state;
    await sleep(100);
  }
  throw new Error(`model "${model}" never ${what}: ${JSON.stringify(await modelState(url, model))}`);
}

describe("text generation over server-sent events", () => {
  it("streams each chunk as an event, the request pre-processed by the steps before the model and each chunk by the steps after it", async () => {
    const gateway = await testGateway(["generate.yaml"]);
    const response = await generateStream(`${gateway.url}/v2/models/writer/generate_stream`, {
      text_input: "hello world",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = await allEvents<Chunk>(response);
    expect(events.map((e) => e.text_output)).toEqual(["SAY ", "HELLO ", "WORLD ", "DONE "]);
    expect(events.every((e) => e.model_name === "writer")).toBe(true);
    expect(events.at(-1)?.details).toMatchObject({ finish_reason: "length" });
  });

  it("answers generate with the chunks joined, and the details when asked", async () => {
    const gateway = await testGateway(["generate.yaml", "generate-models.yaml"]);
    const plain = await postJson(`${gateway.url}/v2/models/writer/generate`, { text_input: "a b" });
    expect(plain).toMatchObject({
      status: 200,
      body: { model_name: "writer", text_output: "SAY A B DONE " },
    });
    expect(plain.body).not.toHaveProperty("details");
    const versioned = await postJson(`${gateway.url}/v2/models/tokens/versions/v1/generate`, {
      text_input: "x",
      parameters: { details: true, max_tokens: 5 },
    });
    expect(versioned).toMatchObject({
      status: 200,
      body: {
        model_name: "tokens",
        model_version: "v1",
        text_output: "x done ",
        details: {
          finish_reason: "length",
          logprobs: [
            { id: 0, text: "x " },
            { id: 1, text: "done " },
          ],
        },
      },
    });
    const whole = await postJson(`${gateway.url}/v2/models/whole/generate`, { text_input: "q" });
    expect(whole.body).toMatchObject({ text_output: "whole answer to q" });
    const wholeStream = await allEvents<Chunk>(
      await generateStream(`${gateway.url}/v2/models/whole/generate_stream`, { text_input: "q" }),
    );
    expect(wholeStream.map((e) => e.text_output)).toEqual(["whole answer to q"]);
  });

  it("refuses what the spec calls invalid input with 422, as JSON or as an event", async () => {
    const gateway = await testGateway(["generate-models.yaml"]);
    const url = `${gateway.url}/v2/models/tokens/generate`;
    expect(await postJson(url, { prompt: "x" })).toMatchObject({
      status: 422,
      body: { error: 'missing required field "text_input"' },
    });
    expect(await postJson(url, { text_input: "x", parameters: { top_p: 2 } })).toMatchObject({
      status: 422,
      body: { error: "parameters.top_p must be a number from 0 to 1, got 2" },
    });
    expect((await postJson(url, "{not json")).status).toBe(422);
    const stream = await generateStream(`${url}_stream`, { text_input: 7 });
    expect(stream.status).toBe(422);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    expect(await allEvents(stream)).toEqual([{ error: "text_input must be a string, not a number" }]);
  });

  it("answers a model's failure 424 before the first chunk, and ends the stream with an error event after it", async () => {
    const gateway = await testGateway(["generate-models.yaml"]);
    const before = await postJson(`${gateway.url}/v2/models/broken/generate`, { text_input: "x" });
    expect(before).toMatchObject({
      status: 424,
      body: { error: "Request failed during generation: the model broke at token 0" },
    });
    const response = await generateStream(`${gateway.url}/v2/models/failing/generate_stream`, {
      text_input: "x",
    });
    expect(response.status).toBe(200);
    const events = await allEvents<{ text_output?: string; error?: string }>(response);
    expect(events.map((e) => e.text_output ?? e.error)).toEqual([
      "0 ",
      "1 ",
      "Incomplete generation: Request failed during generation: the model broke at token 2",
    ]);
    const notChunk = await postJson(`${gateway.url}/v2/models/numbers/generate`, { text_input: "x" });
    expect(notChunk.status).toBe(424);
    expect(notChunk.body).toMatchObject({ error: expect.stringContaining("gave a number as a chunk") });
    expect(await postJson(`${gateway.url}/v2/models/infer-only/generate`, { text_input: "x" })).toMatchObject(
      {
        status: 404,
        body: { error: 'model "infer-only" does not generate text (no generate method)' },
      },
    );
    expect(
      (await postJson(`${gateway.url}/v2/models/nobody/generate_stream`, { text_input: "x" })).status,
    ).toBe(404);
  });

  it("answers 501, naming the step, for a graph that is not one chain through the model", async () => {
    const gateway = await testGateway(["generate-branching.yaml"]);
    expect(await postJson(`${gateway.url}/v2/models/brancher/generate`, { text_input: "x" })).toMatchObject({
      status: 501,
      body: {
        error:
          'model "brancher" cannot generate through graph "branching": step "brancher" branches to shout, audit; generate runs a graph that is one chain of steps through the model',
      },
    });
  });

  it("aborts the model's signal and returns its iterator when the client disconnects mid-stream", async () => {
    const gateway = await testGateway(["generate-models.yaml"]);
    const client = new AbortController();
    const response = await generateStream(
      `${gateway.url}/v2/models/endless/generate_stream`,
      { text_input: "x" },
      client.signal,
    );
    const reader = sseReader(response);
    for (let i = 0; i < 3; i++)
      expect(JSON.parse((await reader.read()).value?.data ?? "{}")).toMatchObject({
        text_output: `${i} `,
      });
    client.abort();
    const state = await until(
      gateway.url,
      "endless",
      (s) => s.aborted === 1 && s.returned === 1,
      "saw the abort",
    );
    // It stopped: far from the million tokens it would have made.
    const stopped = state.pulled as number;
    expect(stopped).toBeLessThan(1_000);
    await sleep(200);
    expect((await modelState(gateway.url, "endless")).pulled).toBe(stopped);
  });

  it("pulls no further ahead of a slow reader than the socket's buffers hold, and finishes once it reads", async () => {
    const gateway = await testGateway(["generate-models.yaml"]);
    const response = await generateStream(`${gateway.url}/v2/models/big/generate_stream`, {
      text_input: "x",
    });
    const reader = sseReader(response);
    // Whatever happens, the stream is let go, or the gateway's close would wait for it.
    onTestFinished(() => reader.cancel().catch(() => {}));
    expect((await reader.read()).done).toBe(false);
    // The reader stops reading: the model is pulled until the buffers between them are full.
    let last = -1;
    let same = 0;
    const stalled = await until(
      gateway.url,
      "big",
      (s) => {
        same = s.pulled === last ? same + 1 : 0;
        last = s.pulled as number;
        return same >= 5;
      },
      "stopped being pulled",
    );
    const chunkBytes = 65_536;
    console.log(`slow reader: the model was pulled ${stalled.pulled} chunks of 64 KiB ahead`);
    expect((stalled.pulled as number) * chunkBytes).toBeLessThan(40 * 1024 * 1024);
    // 2,000 chunks of 64 KiB: 128 MiB the model would have made, had nothing held it back.
    let events = 1;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      events++;
    }
    expect(events).toBe(2_000);
    expect((await modelState(gateway.url, "big")).pulled).toBe(2_000);
  }, 60_000);
});
