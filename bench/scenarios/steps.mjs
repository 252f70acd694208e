// Trivial synchronous steps: the executor's own cost is what the bench measures.
export function add1(body) {
  return body + 1;
}
export function sum(inputs) {
  let total = 0;
  for (const key in inputs) total += inputs[key];
  return total;
}
