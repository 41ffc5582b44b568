/**
 * The table of integrations agrees with the oracle written by hand from the API reference
 * (test/secret-oracle.ts): the same credential kinds, and in each exactly the same secret fields.
 */
import { describe, expect, it } from "vitest";
import { type Fields, INTEGRATIONS, isSecretEntry, SECRET_LISTS } from "../../src/patch/integrations.ts";
import { carriesCredential, SECRET_FIELDS_BY_KIND, SECRET_LIST_VALUES } from "../secret-oracle.ts";

function secretFields(fields: Fields): string[] {
  return Object.entries(fields).flatMap(([name, field]) => {
    if (field.kind === "object") return secretFields(field.fields);
    return field.kind === "text" && field.secret === true ? [name] : [];
  });
}

const KINDS = INTEGRATIONS.flatMap((integration) => integration.credentials);

describe("the table agrees with the oracle of secret fields", () => {
  it("has the credential kinds the oracle has", () => {
    expect(KINDS.map((kind) => kind.type).sort()).toEqual(Object.keys(SECRET_FIELDS_BY_KIND).sort());
  });

  it.each(KINDS.map((kind) => [kind.type, kind] as const))("%s: the same secret fields", (type, kind) => {
    expect(secretFields(kind.fields).sort()).toEqual([...(SECRET_FIELDS_BY_KIND[type] ?? [])].sort());
  });

  it("has the lists whose entries hold a secret value, always or by the entry's name", () => {
    expect(
      Object.fromEntries([...SECRET_LISTS].map(([list, secrecy]) => [list, secrecy === true ? "always" : secrecy])),
    ).toEqual(SECRET_LIST_VALUES);
  });

  it.each([
    "Authorization",
    "X-Api-Key",
    "api_key",
    "code",
    "sig",
    "X-Cookie",
    "Set-Cookie",
    "X-Jwt",
    "X-Api-Version",
    "X-Design-Version",
    "X-Custom",
    "region",
  ])("judges the header %s as the oracle does", (name) => {
    expect(isSecretEntry("headers", name)).toBe(carriesCredential(name));
    expect(isSecretEntry("url_parameters", name)).toBe(carriesCredential(name));
    expect(isSecretEntry("tokens", name)).toBe(true);
  });

  it("takes the value of an entry whose name is not text for a secret, and no other list's", () => {
    expect(isSecretEntry("headers", 42)).toBe(true);
    expect(isSecretEntry("url_parameters", undefined)).toBe(true);
    expect(isSecretEntry("body", "Authorization")).toBe(false);
  });
});
