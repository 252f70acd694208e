// The stream bench's three trivial sync steps (bench/scenarios/streams.ts): each one counts
// itself on the body, so an output shows it went through all three, and the bare pipes call
// the very same functions.
export function hop(body) {
  body.hops = (body.hops ?? 0) + 1;
  return body;
}
