import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { monitoredGraph } from "../helpers/monitoring.js";
import { listen, natsClient } from "../helpers/nats-streams.js";
import { allEvents, sseReader } from "../helpers/sse.js";
import { collect } from "../helpers/streams.js";

type GenerationRecord = Record<string, unknown> & {
  id: string;
  op: string;
  request: Record<string, unknown>;
  resp: Record<string, unknown>;
};

/** Token models behind one router, every generation recorded to `stream`. */
function generators(stream: string, more = ""): Promise<string> {
  return monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: writers}
spec:
  monitoring: {stream: "${stream}", fields: [inputs, outputs, parameters]${more}}
  topology: router
  router:
    routes:
      tokens: {kind: model, class: TOKENS#TokenModel}
      failing: {kind: model, class: TOKENS#TokenModel, args: {count: 10, failAt: 2}}
      endless: {kind: model, class: TOKENS#TokenModel, args: {count: 1000000, delayMs: 5}}
`);
}

/** A generate request with request id `id`; the answer as it arrives. */
function post(url: string, op: string, id: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": id },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe("model monitoring records of text generation", () => {
  it("writes one record per generation to Kafka: prompt, text, chunks, time to first token, and how it ended", async () => {
    const topic = await createTopic(1);
    const gateway = await testGateway([await generators(`kafka://${kafkaBrokers().join(",")}/${topic}`)]);
    const models = `${gateway.url}/v2/models`;

    const streamed = await allEvents(
      await post(`${models}/tokens`, "generate_stream", "g-1", { text_input: "a b" }),
    );
    expect(streamed).toHaveLength(3);
    const joined = await post(`${models}/tokens`, "generate", "g-2", {
      text_input: "c",
      parameters: { max_tokens: 5 },
    });
    expect(joined.status).toBe(200);
    const failed = await allEvents<{ error?: string }>(
      await post(`${models}/failing`, "generate_stream", "g-3", { text_input: "x" }),
    );
    expect(failed.at(-1)?.error).toMatch(/^Incomplete generation/);
    const client = new AbortController();
    const endless = sseReader(
      await post(`${models}/endless`, "generate_stream", "g-4", { text_input: "x" }, client.signal),
    );
    for (let i = 0; i < 3; i++) await endless.read();
    client.abort();

    const records = (await collect(topic, 4)).map((m) => JSON.parse(m.value) as GenerationRecord);
    const [stream, whole, broken, cancelled] = records as [
      GenerationRecord,
      GenerationRecord,
      GenerationRecord,
      GenerationRecord,
    ];
    expect(stream).toMatchObject({
      id: "g-1",
      op: "generate_stream",
      graph: "writers",
      model: "tokens",
      class: "TokenModel",
      request: { id: "g-1", text_input: "a b" },
      resp: { model_name: "tokens", text_output: "a b done ", chunks: 3, finish_reason: "length" },
      sampling_percentage: 100,
      effective_sample_count: 1,
    });
    expect(stream).not.toHaveProperty("error");
    expect(stream.first_token_microsec).toBeTypeOf("number");
    expect(stream.first_token_microsec as number).toBeLessThanOrEqual(stream.microsec as number);
    expect(whole).toMatchObject({
      id: "g-2",
      op: "generate",
      request: { text_input: "c", parameters: { max_tokens: 5 } },
      resp: { text_output: "c done ", chunks: 2 },
    });
    expect(broken).toMatchObject({
      id: "g-3",
      model: "failing",
      status: 424,
      error: "Request failed during generation: the model broke at token 2",
      resp: { text_output: "0 1 ", chunks: 2 },
    });
    expect(cancelled).toMatchObject({ id: "g-4", model: "endless", cancelled: "the client disconnected" });
    expect(cancelled).not.toHaveProperty("error");
    expect(cancelled.resp.chunks as number).toBeGreaterThanOrEqual(3);
  });

  it("samples generations as it samples infers: at 0.5 on core NATS, the 1st and 3rd of four", async () => {
    const nc = await natsClient(natsUrl());
    const subject = uniqueName("generations");
    const records = listen<GenerationRecord>(nc, subject);
    await records.ready();
    const gateway = await testGateway([
      await generators(`nats://${natsUrl().slice(7)}/${subject}`, ", sample: 0.5"),
    ]);
    for (let i = 1; i <= 4; i++) {
      const answer = await post(`${gateway.url}/v2/models/tokens`, "generate", `s-${i}`, {
        text_input: `n${i}`,
      });
      expect(answer.status).toBe(200);
    }
    const got = await records.until(2);
    expect(
      got.map((r) => [r.id, r.resp.text_output, r.effective_sample_count, r.sampling_percentage]),
    ).toEqual([
      ["s-1", "n1 done ", 1, 50],
      ["s-3", "n3 done ", 2, 50],
    ]);
  });
});
