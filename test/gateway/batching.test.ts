import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { encodeBinaryRequest } from "../../src/graph/oip/index.js";
import { postJson, testGateway } from "../helpers/gateway.js";

/** An infer request of input "x" (FP64), one array per row. */
function rowsRequest(rows: number[][], id?: string) {
  return {
    ...(id === undefined ? {} : { id }),
    inputs: [{ name: "x", shape: [rows.length, rows[0]?.length ?? 0], datatype: "FP64", data: rows.flat() }],
  };
}

interface Answer {
  id?: string;
  outputs: { name: string; shape: number[]; data: unknown[] }[];
}

/** The data of output `name` of an infer answer. */
function output(body: unknown, name: string) {
  return (body as Partial<Answer>).outputs?.find((o) => o.name === name);
}

/** Requests that reached model `name` so far (its preprocess counts them; see the fixture). */
function arrivals(name: string): number {
  const counts = (globalThis as { sluiceTestArrivals?: Record<string, number> }).sluiceTestArrivals;
  return counts?.[name] ?? 0;
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("a model with batching", () => {
  it("predicts requests that arrive together in one call, each getting its own rows and id back", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/doubler/infer`;
    // 1 + 1 + 2 rows fill the batch of 4.
    const answers = await Promise.all([
      postJson(url, rowsRequest([[1, 2]], "a")),
      postJson(url, rowsRequest([[3, 4]], "b")),
      postJson(
        url,
        rowsRequest(
          [
            [5, 6],
            [7, 8],
          ],
          "c",
        ),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => (a.body as Answer).id)).toEqual(["a", "b", "c"]);
    expect(answers.map((a) => output(a.body, "y"))).toEqual([
      { name: "y", shape: [1, 2], datatype: "FP64", data: [2, 4] },
      { name: "y", shape: [1, 2], datatype: "FP64", data: [6, 8] },
      { name: "y", shape: [2, 2], datatype: "FP64", data: [10, 12, 14, 16] },
    ]);
    // Every row was computed by one predict call of 4 rows.
    expect(answers.map((a) => output(a.body, "batch_rows")?.data)).toEqual([[4], [4], [4, 4]]);
  });

  it("answers the others of a batch when one request makes predict throw: it alone fails", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/doubler/infer`;
    const answers = await Promise.all(
      [[1], [-1], [3], [4]].map((row, i) => postJson(url, rowsRequest([row], `r${i}`))),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 500, 200, 200]);
    expect(answers[1]?.body).toEqual({ error: expect.stringContaining("negative input") });
    expect(answers.map((a) => output(a.body, "y")?.data)).toEqual([[2], undefined, [6], [8]]);
    // After the batch failed, each request was predicted on its own.
    expect(answers.map((a) => output(a.body, "batch_rows")?.data)).toEqual([[1], undefined, [1], [1]]);
  });

  it("batches only requests with the same input shape past dimension 0; JSON and binary requests mix", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/pairs/infer`;
    const binary = encodeBinaryRequest(rowsRequest([[9, 9, 9]], "bin") as never);
    const answers = await Promise.all([
      postJson(url, rowsRequest([[1, 2]], "two-a")),
      postJson(url, rowsRequest([[1, 2, 3]], "three-a")),
      postJson(url, rowsRequest([[3, 4]], "two-b")),
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/octet-stream",
          "inference-header-content-length": String(binary.headerLength),
        },
        body: binary.body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => output(a.body, "y")?.data)).toEqual([
      [2, 4],
      [2, 4, 6],
      [6, 8],
      [18, 18, 18],
    ]);
    expect(answers.map((a) => output(a.body, "batch_rows")?.data)).toEqual([[2], [2], [2], [2]]);
  });

  it("runs a request of max_batch_size rows or more alone, at once", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const answer = await postJson(
      `${gw.url}/v2/models/doubler/infer`,
      rowsRequest([[1], [2], [3], [4], [5]]),
    );
    expect(answer.status).toBe(200);
    expect(output(answer.body, "y")?.data).toEqual([2, 4, 6, 8, 10]);
    expect(output(answer.body, "batch_rows")?.data).toEqual([5, 5, 5, 5, 5]);
  });

  it("sends a batch that does not fill max_batch_time after its first request", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const answer = await postJson(`${gw.url}/v2/models/quick/infer`, rowsRequest([[7]], "alone"));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: "alone", model_name: "quick" });
    expect(output(answer.body, "batch_rows")?.data).toEqual([1]);
  });

  it("fails every request of a batch whose outputs cannot be split by rows, saying why", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/totals/infer`;
    const answers = await Promise.all([postJson(url, rowsRequest([[1]])), postJson(url, rowsRequest([[2]]))]);
    const message =
      'model "totals" batches requests, but its output "total" has shape [1] for a batch of 2 rows (2 requests): a batched predict must return one row per input row along dimension 0';
    for (const answer of answers) {
      expect(answer.status).toBe(500);
      expect((answer.body as { error: string }).error).toContain(message);
    }
  });

  it("answers a request whose deadline passes in the queue 504, and leaves it out of its batch", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/doubler/infer`;
    const late = await postJson(url, rowsRequest([[1]], "late"), { "x-request-timeout": "200ms" });
    expect(late.status).toBe(504);
    // Still queued (the batch of 4 has 1 row); three more fill it, and predict sees only those.
    const answers = await Promise.all([[2], [3], [4]].map((row) => postJson(url, rowsRequest([row]))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => output(a.body, "batch_rows")?.data)).toEqual([[3], [3], [3]]);
  });

  it("leaves a request out of its batch once it waited longer than its step's timeout", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/timed/infer`;
    const late = await postJson(url, rowsRequest([[1]]));
    expect(late.status).toBe(504);
    const answers = await Promise.all([[2], [3]].map((row) => postJson(url, rowsRequest([row]))));
    expect(answers.map((a) => output(a.body, "batch_rows")?.data)).toEqual([[2], [2]]);
  });

  it("leaves a request out of its batch when its caller closed the connection while it waited", async () => {
    const gw = await testGateway(["batching.yaml"]);
    const url = `${gw.url}/v2/models/doubler/infer`;
    const before = arrivals("doubler");
    const gone = postJson(url, rowsRequest([[1]]));
    // A client that sends its request, then closes the connection without waiting.
    const leaving = request(url, { method: "POST", headers: { "content-type": "application/json" } });
    leaving.on("error", () => {});
    leaving.end(JSON.stringify(rowsRequest([[100]])));
    await until(() => arrivals("doubler") === before + 2);
    leaving.destroy();
    // The server has seen the connection close once only one connection is left open.
    await until(
      () => new Promise((resolve) => gw.dataPlane.server.getConnections((_e, n) => resolve(n === 1))),
    );
    const answers = await Promise.all([[2], [3]].map((row) => postJson(url, rowsRequest([row]))));
    const first = await gone;
    expect([first, ...answers].map((a) => a.status)).toEqual([200, 200, 200]);
    expect([first, ...answers].map((a) => output(a.body, "batch_rows")?.data)).toEqual([[3], [3], [3]]);
  });

  it("batches a model step inside a flow, after the steps before it", async () => {
    const gw = await testGateway(["batching-flow.yaml"]);
    const answers = await Promise.all(
      [[1], [2], [3]].map((row, i) => postJson(`${gw.url}/`, rowsRequest([row], `f${i}`))),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => (a.body as Answer).id)).toEqual(["f0", "f1", "f2"]);
    expect(answers.map((a) => output(a.body, "y")?.data)).toEqual([[2], [4], [6]]);
    expect(answers.map((a) => output(a.body, "batch_rows")?.data)).toEqual([[3], [3], [3]]);
  });
});
