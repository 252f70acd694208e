import { type EventSourceMessage, EventSourceParserStream } from "eventsource-parser/stream";

/** POSTs a generate request and returns the response as it arrives (its body unread). */
export function generateStream(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** The server-sent events of a response, parsed by eventsource-parser, one at a time. */
export function sseReader(response: Response): ReadableStreamDefaultReader<EventSourceMessage> {
  if (!response.body) throw new Error("the response has no body");
  return response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
}

/** Every event's data, parsed as JSON, until the stream ends. */
export async function allEvents<T = Record<string, unknown>>(response: Response): Promise<T[]> {
  const reader = sseReader(response);
  const events: T[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    events.push(JSON.parse(value.data) as T);
  }
}
