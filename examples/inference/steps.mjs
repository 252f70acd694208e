// Preprocessing: features arrive in centimetres; the model wants millimetres.
export function scale(request) {
  return {
    ...request,
    inputs: request.inputs.map((input) => ({
      ...input,
      data: input.data.flat().map((cm) => cm * 10),
    })),
  };
}

// Postprocessing: add a human-readable summary next to the OIP outputs. The response is a
// fresh object the model made for this request, so the summary is set on it rather than on a
// `{ ...response }` copy (on Node 20 such a copy costs a hidden class per call: see README).
export function label(response) {
  const classes = response.outputs.find((o) => o.name === "class")?.data ?? [];
  response.summary = classes.join(", ");
  return response;
}
