import { createHash, timingSafeEqual } from "node:crypto";

/**
 * A check of `Authorization: Bearer <token>` against `token`: undefined when it passes, else
 * why not, in words for the caller. Both sides are hashed first, so the comparison leaks not
 * even the token's length.
 */
export function bearerCheck(token: string): (authorization: string | undefined) => string | undefined {
  const expected = digest(token);
  return (authorization) => {
    const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? "")?.[1];
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return undefined;
    return presented === undefined ? "this change needs the admin token" : "the admin token is wrong";
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
