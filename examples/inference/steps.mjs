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

// Postprocessing: add a human-readable summary next to the OIP outputs.
export function label(response) {
  const classes = response.outputs.find((o) => o.name === "class")?.data ?? [];
  return { ...response, summary: classes.join(", ") };
}
