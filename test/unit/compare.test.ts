import { describe, expect, it } from "vitest";
import { differences } from "../../src/compare.ts";

const openai = (token: string) => ({ type: "OpenAI", credentials: { type: "OpenAIAPIKey", api_token: token } });
const http = (credentials: Record<string, unknown>, baseUrl = "https://api.example.com/v1") => ({
  type: "HTTP",
  base_url: baseUrl,
  credentials: { type: "HTTPTokenAuth", ...credentials },
});

describe("differences: what Datadog echoed against what was sent", () => {
  it("none when the answer echoes the patch, secrets blanked and extra fields added", () => {
    expect(
      differences(
        { name: "Prod", tags: ["team:a", "env:prod"], integration: openai("sk-secret") },
        { name: "Prod", tags: ["env:prod", "team:a"], integration: openai(""), is_favorite: false },
      ),
    ).toEqual([]);
  });

  it("the name and the tags", () => {
    expect(differences({ name: "Prod", tags: ["team:a"] }, { name: "Other", tags: ["team:b"] })).toEqual([
      ["name"],
      ["tags"],
    ]);
    expect(differences({ tags: ["team:a"] }, {})).toEqual([["tags"]]);
  });

  it("a token sent and not echoed is normal (Datadog no longer answers tokens); a header not echoed is not", () => {
    const tokens = { tokens: [{ name: "bearer", type: "SECRET", value: "tok-1234567890" }] };
    expect(differences({ integration: http(tokens) }, { integration: http({}) })).toEqual([]);
    expect(
      differences(
        { integration: http({ tokens: [{ name: "old", type: "SECRET", value: "", deleted: true }] }) },
        { integration: http({}) },
      ),
    ).toEqual([]);
    const headers = { headers: [{ name: "X-Api-Version", value: "2024-06-01" }] };
    expect(differences({ integration: http(headers) }, { integration: http({}) })).toEqual([
      ["integration", "credentials", "headers", 0],
    ]);
  });

  it("clearing the tags matches an answer without any", () => {
    expect(differences({ tags: [] }, {})).toEqual([]);
    expect(differences({ tags: [] }, { tags: [] })).toEqual([]);
  });

  it("the integration type, and nothing below it then", () => {
    expect(differences({ integration: openai("x") }, { integration: { type: "Anthropic" } })).toEqual([
      ["integration", "type"],
    ]);
  });

  it("base_url and the non-secret values of HTTP headers; never a token or a credential header", () => {
    const sent = http({
      tokens: [{ name: "t", type: "SECRET", value: "s3cret" }],
      headers: [
        { name: "X-Team", value: "platform" },
        { name: "Authorization", value: "Bearer s3cret" },
      ],
    });
    const echoed = http(
      {
        tokens: [{ name: "t", type: "SECRET", value: "" }],
        headers: [
          { name: "X-Team", value: "other" },
          { name: "Authorization", value: "" },
        ],
      },
      "https://elsewhere.example.com",
    );
    expect(differences({ integration: sent }, { integration: echoed })).toEqual([
      ["integration", "base_url"],
      ["integration", "credentials", "headers", 0, "value"],
    ]);
  });

  it("a list entry sent but not echoed, and a deleted one still there", () => {
    const sent = http({
      headers: [{ name: "X-New", value: "1" }],
      url_parameters: [{ name: "old", deleted: true }],
    });
    const echoed = http({ headers: [], url_parameters: [{ name: "old", value: "v" }] });
    expect(differences({ integration: sent }, { integration: echoed })).toEqual([
      ["integration", "credentials", "headers", 0],
      ["integration", "credentials", "url_parameters", 0],
    ]);
  });
});
