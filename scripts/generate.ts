/**
 * `npm run generate`: rewrites what is derived from the code, so that it cannot drift from it.
 *
 *   schema/patch.schema.json     the JSON Schema of patch files, from the zod schemas (src/patch/schema.ts)
 *   README.md, between markers   the table of supported integrations (src/patch/integrations.ts) and the
 *                                inputs and outputs tables (action.yml)
 *
 * test/docs.test.ts fails when the committed files differ from what this writes.
 *
 * The JSON Schema targets draft-07: the YAML extension of VS Code (yaml-language-server) and most
 * editors validate draft-07 fully and newer drafts only in part.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import * as z from "zod/mini";
import {
  ATTRIBUTE_FIELDS,
  CREDENTIAL_NAMES,
  CREDENTIAL_PARTS,
  CREDENTIAL_WORDS,
  type Field,
  type Fields,
  INTEGRATIONS,
} from "../src/patch/integrations.ts";
import { attributesSchema, requestSchema } from "../src/patch/schema.ts";

export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
export const SCHEMA_PATH = "schema/patch.schema.json";
/** Where users point their editor at the schema; OWNER is the account that hosts the action. */
export const SCHEMA_URL =
  "https://raw.githubusercontent.com/OWNER/update-datadog-action-connection/v1/schema/patch.schema.json";

type JsonObject = Record<string, unknown>;

/**
 * The JSON Schema of a patch file: either the attributes (`name`, `tags`, `integration`) or a whole
 * request document (`data: {type: action_connection, attributes: ...}`), both from the zod schemas
 * the action validates with. Field docs and examples come from the table through zod's registry.
 */
export function patchJsonSchema(): JsonObject {
  const options = { io: "input", target: "draft-07" } as const;
  const attributes = withoutMeta(z.toJSONSchema(attributesSchema(), options));
  const request = withoutMeta(z.toJSONSchema(requestSchema(), options));
  // The request document's attributes are the same schema: refer to it rather than repeat it.
  const data = (request.properties as JsonObject | undefined)?.data as JsonObject | undefined;
  const dataProperties = data?.properties as JsonObject | undefined;
  if (!dataProperties?.attributes) throw new Error("requestSchema() has no data.attributes");
  dataProperties.attributes = { $ref: "#/definitions/attributes" };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: SCHEMA_URL,
    title: "Datadog Action Connection patch",
    description:
      "A patch for update-datadog-action-connection: the attributes of a Datadog Action Connection to change " +
      "(name, tags, integration), or a whole request document (data: {type: action_connection, attributes}). " +
      "Keep secrets out of committed files: pass them in the action's patch input from the secrets context.",
    anyOf: [{ $ref: "#/definitions/attributes" }, { $ref: "#/definitions/request" }],
    definitions: {
      attributes: {
        title: "Attributes",
        description: "The attributes to change; every field is optional, unknown fields are refused.",
        ...attributes,
      },
      request: {
        title: "Request document",
        description: "A whole UpdateActionConnectionRequest document.",
        ...request,
      },
    },
  };
}

function withoutMeta(schema: JsonObject): JsonObject {
  const { $schema: _schema, ...rest } = schema;
  const text = JSON.stringify(rest);
  if (text.includes('"definitions"') || text.includes('"$defs"')) {
    throw new Error("zod emitted definitions of its own: merge them into the patch schema's definitions");
  }
  return rest;
}

// ── README tables ──────────────────────────────────────────────────────────────────────────────────

/** A Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const code = (text: string) => `\`${text}\``;

/** `a`, `b` or `c` */
function orList(words: readonly string[]): string {
  const quoted = words.map(code);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}` : quoted.join("");
}

/** `api_token` 🔒, `domain`, `body` (`content`, `content_type`), `tokens[]` (...). */
function describeField(name: string, field: Field): string {
  switch (field.kind) {
    case "text":
      if (field.secret === true) return `${code(name)} 🔒`;
      if (field.secret === "by-name") return `${code(name)} 🔒 by name`;
      return code(name);
    case "flag":
      return code(`${name}: ${field.example}`);
    case "tags":
      return code(name);
    case "object":
      return `${code(name)} (${patchable(field.fields).join(", ")})`;
    case "list": {
      const needs = field.itemRequiredInUpdate.map(code).join(", ");
      return `${code(`${name}[]`)} (${patchable(field.item).join(", ")}; each entry needs ${needs})`;
    }
  }
}

function patchable(fields: Fields): string[] {
  return Object.entries(fields)
    .filter(([, field]) => field.direction !== "response")
    .map(([name, field]) => describeField(name, field));
}

function answerOnly(fields: Fields): string[] {
  return Object.entries(fields)
    .filter(([, field]) => field.direction === "response")
    .map(([name]) => code(name));
}

function required(fields: Fields): string[] {
  return Object.entries(fields)
    .filter(([, field]) => field.required && field.direction !== "response")
    .map(([name]) => code(name));
}

/** The supported integrations, one row per credential kind, from THE table. */
export function integrationsSection(): string {
  const common = Object.entries(ATTRIBUTE_FIELDS)
    .map(([name, field]) => `${code(name)} (${field.doc.charAt(0).toLowerCase()}${field.doc.slice(1)})`)
    .join(" and ");
  const rows = INTEGRATIONS.flatMap((integration) =>
    integration.credentials.map((kind) => {
      const own = patchable(integration.fields);
      const fields = [
        ...(own.length ? [`on ${code("integration")}: ${own.join(", ")}`] : []),
        patchable(kind.fields).join(", "),
      ];
      const answered = answerOnly(kind.fields);
      if (answered.length) fields.push(`answer only: ${answered.join(", ")}`);
      const needed = [...required(integration.fields), ...required(kind.fields)];
      return [code(integration.type), integration.title, code(kind.type), fields.join("; "), needed.join(", ")];
    }),
  );
  const kinds = INTEGRATIONS.reduce((count, integration) => count + integration.credentials.length, 0);
  return [
    `${INTEGRATIONS.length} integrations, ${kinds} credential kinds. Every connection also takes ${common}.`,
    "",
    '🔒 secret: masked in the log, shown as `••••` in the job summary and the dry run, blanked (`""`) by ' +
      "Datadog in its answers and in the `connection` output. 🔒 by name: secret when the entry's `name` marks a " +
      `credential (in any letter case): the whole name is ${orList(CREDENTIAL_NAMES)}; or one of its words (the name cut at \`-\`, ` +
      `\`_\`, \`.\` and case changes: \`X-Api-Key\`, \`apiKey\`, \`JWTToken\`) is ${orList(CREDENTIAL_WORDS)}; ` +
      `or it holds ${orList(CREDENTIAL_PARTS)} anywhere (\`apikey\`). A word that merely holds the letters ` +
      "does not count: `X-Design-Version` is shown.",
    "",
    table(
      [
        "`integration.type`",
        "Product",
        "`credentials.type`",
        "Fields a patch can set",
        "Needed when switching to this kind",
      ],
      rows,
    ),
  ].join("\n");
}

interface ActionMetadata {
  readonly inputs: Readonly<Record<string, { description?: string; required?: boolean; default?: string }>>;
  readonly outputs: Readonly<Record<string, { description?: string }>>;
}

export function readActionMetadata(text: string): ActionMetadata {
  const action = parse(text) as Partial<ActionMetadata> | null;
  if (!action?.inputs || !action.outputs) throw new Error("action.yml has no inputs or outputs");
  return { inputs: action.inputs, outputs: action.outputs };
}

export function inputsSection(action: ActionMetadata): string {
  return table(
    ["Input", "Required", "Default", "Description"],
    Object.entries(action.inputs).map(([name, input]) => [
      code(name),
      input.required ? "yes" : "no",
      input.default === undefined ? "" : code(String(input.default)),
      input.description ?? "",
    ]),
  );
}

export function outputsSection(action: ActionMetadata): string {
  return table(
    ["Output", "Description"],
    Object.entries(action.outputs).map(([name, output]) => [code(name), output.description ?? ""]),
  );
}

/** `text` with what stands between `<!-- generated:NAME:start -->` and `:end -->` replaced. */
export function replaceSection(text: string, name: string, content: string): string {
  const start = `<!-- generated:${name}:start -->`;
  const end = `<!-- generated:${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} markers`);
  const note = "<!-- written by npm run generate: edit the code, not this -->";
  return `${text.slice(0, from + start.length)}\n${note}\n\n${content}\n\n${text.slice(to)}`;
}

/** Every generated file, as `npm run generate` writes it: path relative to the root → content. */
export function generatedFiles(root: string = ROOT): Map<string, string> {
  const action = readActionMetadata(readFileSync(join(root, "action.yml"), "utf8"));
  let readme = readFileSync(join(root, "README.md"), "utf8");
  readme = replaceSection(readme, "integrations", integrationsSection());
  readme = replaceSection(readme, "inputs", inputsSection(action));
  readme = replaceSection(readme, "outputs", outputsSection(action));
  return new Map([
    [SCHEMA_PATH, `${JSON.stringify(patchJsonSchema(), null, 2)}\n`],
    ["README.md", readme],
  ]);
}

if (import.meta.main) {
  for (const [path, content] of generatedFiles()) {
    const target = join(ROOT, path);
    let before = "";
    try {
      before = readFileSync(target, "utf8");
    } catch {
      // a new file
    }
    if (before === content) {
      console.log(`${path}: up to date`);
    } else {
      writeFileSync(target, content);
      console.log(`${path}: written`);
    }
  }
}
