// hub://http-check: probes a URL `count` times, one request at a time, and reports what came back.
// params: url (required), count (default 5), timeout_ms (default 5000), expect (a status, default 200).
export async function probe(params, ctx) {
  const { url, count = 5, timeout_ms = 5000, expect = 200 } = params;
  if (typeof url !== "string")
    throw new Error("give the URL: --param url=http://127.0.0.1:8080/v2/health/ready");
  const latencies = [];
  const statuses = {};
  let failures = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    try {
      const response = await fetch(url, {
        signal: AbortSignal.timeout(timeout_ms),
        headers: { "user-agent": process.env.HTTP_CHECK_USER_AGENT ?? "sluice-http-check" },
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status !== expect) failures++;
    } catch (error) {
      failures++;
      statuses.error = (statuses.error ?? 0) + 1;
      ctx.log(`http-check: ${error.cause?.message ?? error.message}`);
    }
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (q) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10;
  ctx.logResult("healthy", failures === 0);
  return { requests: count, failures, statuses, p50_ms: at(0.5), p99_ms: at(0.99) };
}
