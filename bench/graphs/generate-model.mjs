// The fake token model of the generate bench: `parameters.max_tokens` tokens ("tok0 ",
// "tok1 "...) as fast as they are pulled. The bare SSE server (bench/lib/bare-sse-server.mjs)
// emits the same tokens from the same generator.

export async function* tokens(request) {
  const count = request?.parameters?.max_tokens ?? 20;
  for (let i = 0; i < count; i++) yield `tok${i} `;
}

export class Tokens {
  generate(request) {
    return tokens(request);
  }
}
