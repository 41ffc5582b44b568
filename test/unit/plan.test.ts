import { describe, expect, it } from "vitest";
import type { AttributesValue } from "../../src/patch/schema.ts";
import { differs, NOT_SET, planFields, setsSecret } from "../../src/plan.ts";

const http = (credentials: Record<string, unknown>, baseUrl = "https://api.example.com/v1") => ({
  type: "HTTP",
  base_url: baseUrl,
  credentials: { type: "HTTPTokenAuth", ...credentials },
});
const current = {
  name: "Payments",
  tags: ["team:payments", "env:prod"],
  integration: http({
    headers: [
      { name: "X-Api-Version", value: "2024-06-01" },
      { name: "X-Region", value: "eu" },
    ],
    url_parameters: [{ name: "region", value: "eu" }],
  }),
};

describe("planFields: what a document sets, against what Datadog holds", () => {
  it("unchanged when every value the document sets is already there; fields it leaves out stay", () => {
    const desired: AttributesValue = {
      name: "Payments",
      tags: ["env:prod", "team:payments"],
      integration: http({ headers: [{ name: "X-Region", value: "eu" }] }),
    };
    const fields = planFields(desired, current);
    expect(fields).toEqual([
      { path: "name", secret: false, current: "Payments", desired: "Payments", differs: false },
      {
        path: "tags",
        secret: false,
        current: "team:payments, env:prod",
        desired: "env:prod, team:payments",
        differs: false,
      },
      {
        path: "integration.base_url",
        secret: false,
        current: "https://api.example.com/v1",
        desired: "https://api.example.com/v1",
        differs: false,
      },
      {
        path: "integration.credentials.headers[X-Region]",
        secret: false,
        current: "eu",
        desired: "eu",
        differs: false,
      },
    ]);
    expect(differs(fields)).toBe(false);
  });

  it("tags replace the whole list: a tag removed is a difference", () => {
    const fields = planFields({ tags: ["team:payments"] }, current);
    expect(fields).toEqual([
      { path: "tags", secret: false, current: "team:payments, env:prod", desired: "team:payments", differs: true },
    ]);
  });

  it("headers and URL parameters merge by name: a new one, a changed value, a deletion", () => {
    const fields = planFields(
      {
        integration: http({
          headers: [
            { name: "X-Api-Version", value: "2025-01-01" },
            { name: "X-New", value: "1" },
            { name: "X-Region", deleted: true },
          ],
          url_parameters: [{ name: "absent", deleted: true }],
        }),
      },
      current,
    );
    expect(fields.filter((field) => field.path.includes("["))).toEqual([
      {
        path: "integration.credentials.headers[X-Api-Version]",
        secret: false,
        current: "2024-06-01",
        desired: "2025-01-01",
        differs: true,
      },
      { path: "integration.credentials.headers[X-New]", secret: false, current: NOT_SET, desired: "1", differs: true },
      {
        path: "integration.credentials.headers[X-Region]",
        secret: false,
        current: "present",
        desired: "deleted",
        differs: true,
      },
      {
        path: "integration.credentials.url_parameters[absent]",
        secret: false,
        current: NOT_SET,
        desired: "deleted",
        differs: false,
      },
    ]);
  });

  it("a secret always differs and is never shown: Datadog does not return it", () => {
    const fields = planFields(
      { integration: http({ tokens: [{ name: "api", type: "SECRET", value: "tok_123456789" }] }) },
      current,
    );
    const token = fields.find((field) => field.path === "integration.credentials.tokens[api]");
    expect(token).toEqual({ path: "integration.credentials.tokens[api]", secret: true, desired: "", differs: true });
    expect(setsSecret(fields)).toBe(true);
    expect(JSON.stringify(fields)).not.toContain("tok_123456789");
  });

  it("a header named like a credential is a secret; a value read with !env is one whatever its name", () => {
    const desired = {
      integration: http({
        headers: [
          { name: "Authorization", value: "Bearer abcdefgh" },
          { name: "X-Custom", value: "from-env-123" },
        ],
      }),
    };
    const fromEnv = new Set(["from-env-123"]);
    const fields = planFields(desired, current, fromEnv);
    expect(fields.filter((field) => field.secret).map((field) => field.path)).toEqual([
      "integration.credentials.headers[Authorization]",
      "integration.credentials.headers[X-Custom]",
    ]);
    expect(JSON.stringify(fields)).not.toMatch(/abcdefgh|from-env-123/);
  });

  it("another integration type: its type and every field it sets differ", () => {
    const fields = planFields(
      { integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: "sk-123456789" } } },
      current,
    );
    expect(fields[0]).toEqual({
      path: "integration.type",
      secret: false,
      current: "HTTP",
      desired: "OpenAI",
      differs: true,
    });
    expect(differs(fields)).toBe(true);
  });

  it("without current state (no keys, or not read), everything differs and nothing current is shown", () => {
    const fields = planFields({ name: "Payments" }, undefined);
    expect(fields).toEqual([{ path: "name", secret: false, desired: "Payments", differs: true }]);
  });
});
