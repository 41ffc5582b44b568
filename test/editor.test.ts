/**
 * The editor schemas in the editor people use: yaml-language-server (VS Code's YAML extension and most
 * editors' YAML support), run over its stdio protocol on example files, with the settings the README
 * gives. What a person sees: the completion items inside `integration:` and `credentials:`, what a
 * secret field says, the diagnostic for a wrong field, `!env` values, and connection files of several
 * documents.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTION_SCHEMA_PATH, ROOT, SCHEMA_PATH } from "../scripts/generate.ts";
import { INTEGRATIONS } from "../src/patch/integrations.ts";
import { ROTATE_EXTERNAL_ID } from "./fixtures.ts";
import { type CompletionItem, YamlLanguageServer } from "./harness/yaml-lsp.ts";

const OBJECT_ITEM = 7; // CompletionItemKind.Class: what the server gives a schema branch
const docText = (item: CompletionItem | undefined) =>
  typeof item?.documentation === "string" ? item.documentation : (item?.documentation?.value ?? "");

let dir = "";
let server: YamlLanguageServer;
const uri = (name: string) => pathToFileURL(join(dir, name)).href;

/** Opens `text` as the file `name` and returns what the server publishes for it. */
async function diagnostics(name: string, text: string) {
  writeFileSync(join(dir, name), text);
  server.open(uri(name), text);
  return server.diagnosticsOf(uri(name));
}

/** Completion at the end of the line holding `marker` (which is removed from the text). */
async function completeAt(name: string, text: string, marker = "|") {
  const lines = text.split("\n");
  const line = lines.findIndex((candidate) => candidate.includes(marker));
  const character = lines[line]?.indexOf(marker) ?? 0;
  const clean = text.replace(marker, "");
  await diagnostics(name, clean);
  return server.completion(uri(name), line, character);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "editor-"));
  server = new YamlLanguageServer({
    // as README.md's editor section says: patch files, connection files, and the !env tag
    schemas: {
      [pathToFileURL(join(ROOT, SCHEMA_PATH)).href]: "*.patch.yml",
      [pathToFileURL(join(ROOT, CONNECTION_SCHEMA_PATH)).href]: "*.connections.yml",
    },
    customTags: ["!env scalar"],
    validate: true,
    completion: true,
    hover: true,
  });
  await server.start(pathToFileURL(dir).href);
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 15_000);

describe("yaml-language-server with schema/patch.schema.json", () => {
  it("offers inside integration: one entry per integration, titled with its name and described", async () => {
    const items = await completeAt("a.patch.yml", "name: Payments\nintegration:\n  |\n");
    const branches = items.filter((item) => item.kind === OBJECT_ITEM);
    expect(branches.map((item) => item.label)).toEqual(INTEGRATIONS.map((integration) => integration.title));
    const aws = branches.find((item) => item.label === "Amazon Web Services");
    expect(docText(aws)).toContain("Amazon Web Services (type AWS); credential kinds: AWSAssumeRole.");
    expect(items.map((item) => item.label)).not.toContain("object(Attributes)");
  }, 30_000);

  it("offers the credential kinds of the integration by name, and says to write a secret field as !env NAME", async () => {
    const kinds = await completeAt("b.patch.yml", "integration:\n  type: Cloudflare\n  credentials:\n    |\n");
    expect(kinds.filter((item) => item.kind === OBJECT_ITEM).map((item) => item.label)).toEqual([
      "CloudflareAPIToken",
      "CloudflareGlobalAPIToken",
    ]);
    const fields = await completeAt(
      "c.patch.yml",
      "integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    |\n",
    );
    const token = fields.find((item) => item.label === "api_token");
    expect(docText(token)).toContain("OpenAI api token. Secret: write !env NAME, with NAME set in the step's env");
  }, 30_000);

  it("flags a misspelt field at its line, and accepts !env values, also in patterned fields", async () => {
    const wrong = await diagnostics(
      "d.patch.yml",
      "integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_tokn: !env OPENAI_KEY\n",
    );
    expect(wrong.map((d) => [d.message, d.range.start.line, d.range.start.character])).toEqual([
      ["Property api_tokn is not allowed.", 4, 4],
    ]);
    const env = await diagnostics(
      "e.patch.yml",
      "integration:\n  type: AWS\n  credentials:\n    type: AWSAssumeRole\n    account_id: !env AWS_ACCOUNT_ID\n    role: !env ROLE\n",
    );
    expect(env).toEqual([]);
    const elevenDigits = await diagnostics(
      "f.patch.yml",
      'integration:\n  type: AWS\n  credentials:\n    type: AWSAssumeRole\n    account_id: "12345678901"\n',
    );
    expect(elevenDigits.map((d) => d.range.start.line)).toEqual([4]);
  }, 30_000);
});

describe("yaml-language-server with schema/connection.schema.json", () => {
  it("checks each document of a connection file: id required, generate_new_external_id refused", async () => {
    const found = await diagnostics(
      "fleet.connections.yml",
      [
        "id: 11111111-2222-3333-4444-555555555555",
        "name: Payments API",
        "tags: [team:payments]",
        "integration:",
        "  type: HTTP",
        "  base_url: https://api.payments.example.com/v2",
        "  credentials:",
        "    type: HTTPTokenAuth",
        "    tokens:",
        "      - {name: api_token, type: SECRET, value: !env PAYMENTS_API_TOKEN}",
        "---",
        "name: No id",
        "---",
        "id: 22222222-3333-4444-5555-666666666666",
        ROTATE_EXTERNAL_ID,
      ].join("\n"),
    );
    expect(found.map((d) => [d.message, d.range.start.line])).toEqual([
      ['Missing property "id".', 11],
      ["Property generate_new_external_id is not allowed.", 18],
    ]);
  }, 30_000);
});
