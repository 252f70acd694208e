export function validate(body) {
  if (typeof body?.amount !== "number") throw new Error("amount must be a number");
  return body;
}

export function charge(body) {
  if (body.amount > 1000) {
    const error = new Error(`amount ${body.amount} is over the card limit`);
    error.code = "OVER_LIMIT";
    throw error;
  }
  return { ...body, charged: true };
}

// An error handler: ctx.error says which step failed and why.
export function declined(body, ctx) {
  return { ...body, charged: false, reason: ctx.error.code };
}

export function notify(body) {
  return { ...body, notified: true };
}

export function oops(_body, ctx) {
  return { error: ctx.error.message, step: ctx.error.step };
}
