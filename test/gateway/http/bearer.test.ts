import { describe, expect, it } from "vitest";
import { bearerCheck } from "../../../src/gateway/http/bearer.js";

/** The check of "s3cret-token", built in each test: a check that cannot be built fails the test. */
const check = (authorization: string | undefined) => bearerCheck("s3cret-token")(authorization);

describe("the admin token's check", () => {
  it("passes `Bearer <token>`, the scheme in any case and spaces around the token allowed", () => {
    for (const authorization of [
      "Bearer s3cret-token",
      "bearer s3cret-token",
      "BEARER s3cret-token",
      "Bearer   s3cret-token",
      "Bearer s3cret-token  ",
    ]) {
      expect({ authorization, refused: check(authorization) }).toEqual({ authorization, refused: undefined });
    }
  });

  it("says the token is missing when there is no bearer token at all", () => {
    for (const authorization of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Bearers3cret-token",
      "Basic s3cret-token",
      "xBearer s3cret-token",
      "Bearer s3cret token",
      "Bearer\ts3cret-token",
    ]) {
      expect({ authorization, refused: check(authorization) }).toEqual({
        authorization,
        refused: "this change needs the admin token",
      });
    }
  });

  it("says the token is wrong for any other token, longer, shorter or differing in case", () => {
    for (const authorization of [
      "Bearer s3cret-tokenx",
      "Bearer s3cret-toke",
      "Bearer S3CRET-TOKEN",
      "Bearer x",
    ]) {
      expect({ authorization, refused: check(authorization) }).toEqual({
        authorization,
        refused: "the admin token is wrong",
      });
    }
  });
});
