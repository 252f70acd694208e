/** The stream bench's step: counts itself on the body (`hops`) and returns it. */
export function hop<T extends { hops?: number }>(body: T): T;
