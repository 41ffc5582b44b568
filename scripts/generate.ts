/**
 * `npm run generate`: rewrites what is derived from the code, so that it cannot drift from it.
 *
 *   schema/patch.schema.json     the JSON Schema of patch files, from the zod schemas (src/patch/schema.ts)
 *   README.md, between markers   the table of supported integrations (src/patch/integrations.ts) and the
 *                                inputs and outputs tables (action.yml)
 *   README.md, throughout        the repository's slug (package.json `repository`) and every `uses:` pin,
 *                                from the workflows and .github/readme-pins/action.yml (what Dependabot updates)
 *   CHANGELOG.md's links         compare and release links of each entry, from the slug
 *
 * test/docs.test.ts fails when the committed files differ from what this writes.
 *
 * The JSON Schema targets draft-07: the YAML extension of VS Code (yaml-language-server) and most
 * editors validate draft-07 fully and newer drafts only in part.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import * as z from "zod/mini";
import {
  ATTRIBUTE_FIELDS,
  CREDENTIAL_NAMES,
  CREDENTIAL_PARTS,
  CREDENTIAL_WORDS,
  type CredentialKind,
  type Field,
  type Fields,
  INTEGRATIONS,
  type Integration,
} from "../src/patch/integrations.ts";
import { attributesSchema, requestSchema } from "../src/patch/schema.ts";
import { changelogEntries } from "./release-check.ts";
import { type Repository, readRepository, schemaUrl } from "./repository.ts";

export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
export const SCHEMA_PATH = "schema/patch.schema.json";
export const REPOSITORY: Repository = readRepository(ROOT);
/** Where users point their editor at the schema, from package.json's `repository`. */
export const SCHEMA_URL: string = schemaUrl(REPOSITORY, "patch.schema.json");

type JsonObject = Record<string, unknown>;

/**
 * The JSON Schema of a patch file: either the attributes (`name`, `tags`, `integration`) or a whole
 * request document (`data: {type: action_connection, attributes: ...}`), both from the zod schemas
 * the action validates with. Field docs and examples come from the table through zod's registry; what
 * editors show beyond them (titles, secret fields, `!env`) is added from the table by `forEditors`.
 */
export function patchJsonSchema(repository: Repository = REPOSITORY): JsonObject {
  const options = { io: "input", target: "draft-07" } as const;
  const attributes = forEditors(withoutMeta(z.toJSONSchema(attributesSchema(), options)));
  const request = withoutMeta(z.toJSONSchema(requestSchema(), options));
  // The request document's attributes are the same schema: refer to it rather than repeat it.
  const data = (request.properties as JsonObject | undefined)?.data as JsonObject | undefined;
  const dataProperties = data?.properties as JsonObject | undefined;
  if (!dataProperties?.attributes) throw new Error("requestSchema() has no data.attributes");
  dataProperties.attributes = { $ref: "#/definitions/attributes" };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: schemaUrl(repository, "patch.schema.json"),
    title: "Datadog Action Connection patch",
    description:
      "A patch for update-datadog-action-connection: the attributes of a Datadog Action Connection to change " +
      "(name, tags, integration), or a whole request document (data: {type: action_connection, attributes}). " +
      `Keep secrets out of committed files: write ${ENV_TAG} NAME and set NAME in the step's env from the secrets context.`,
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

export const CONNECTION_SCHEMA_PATH = "schema/connection.schema.json";
const UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/**
 * The JSON Schema of a connection file (the `connections` input): each YAML document (`---` between
 * them; editors apply the schema to each) is one connection, its `id` and the attributes to set, as in
 * a patch, but without `generate_new_external_id`, which the action refuses there (an act, not a setting).
 */
export function connectionJsonSchema(repository: Repository = REPOSITORY): JsonObject {
  const options = { io: "input", target: "draft-07" } as const;
  const attributes = forEditors(withoutMeta(z.toJSONSchema(attributesSchema(), options)), { connectionFile: true });
  const properties = attributes.properties as JsonObject;
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: schemaUrl(repository, "connection.schema.json"),
    title: "Datadog Action Connection file",
    description:
      "One connection per YAML document (separate several with ---): its id and the attributes to set. " +
      `Keep secrets out of the file: write ${ENV_TAG} NAME and set NAME in the step's env from the secrets context.`,
    ...attributes,
    properties: {
      id: {
        type: "string",
        pattern: UUID,
        description: "The connection's ID, a UUID (in the connection's page and URL in Datadog)",
        examples: ["11111111-2222-3333-4444-555555555555"],
      },
      ...properties,
    },
    required: ["id"],
  };
}

const ENV_TAG = "!env";
/** What an editor sees of `!env NAME` (the tag is not part of the value): the variable's name. */
const ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";

/** A description of a secret field: what to write instead of the value. */
function secretDoc(doc: string, byName: boolean): string {
  const write =
    `write ${ENV_TAG} NAME, with NAME set in the step's env: from the secrets context ` +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the workflow expression users write, as text
    "(NAME: ${{ secrets.X }}), never the value itself";
  return byName
    ? `${doc}. Secret when the name marks a credential (Authorization, a name with key, token, secret, password...): ${write}.`
    : `${doc}. Secret: ${write}.`;
}

function credentialKindDoc(integration: Integration, kind: CredentialKind): string {
  const fields = Object.entries(kind.fields)
    .filter(([, field]) => field.direction !== "response")
    .map(([name, field]) => (field.secret === true ? `${name} (secret)` : name));
  return `${integration.title} credentials of kind ${kind.type}: ${fields.join(", ")}.`;
}

/**
 * What editors show, added from the table to zod's JSON Schema of the attributes: a title and a
 * description for each integration and credential kind (yaml-language-server names completion items
 * by title; without one, all 24 integrations are offered as the same "object(Attributes)"), secret
 * fields `writeOnly` and told to be written `!env NAME`, and patterned strings that accept a variable
 * name too, since `!env NAME` stands for a value the editor cannot see.
 */
function forEditors(attributes: JsonObject, options: { connectionFile?: boolean } = {}): JsonObject {
  const properties = attributes.properties as Record<string, JsonObject>;
  // Tags keep their key:value pattern: a variable's name would let `production` pass, which the action refuses.
  acceptEnv(properties.name);
  const branches = (properties.integration?.oneOf ?? []) as JsonObject[];
  for (const branch of branches) {
    const branchProperties = branch.properties as Record<string, JsonObject>;
    const integration = INTEGRATIONS.find((entry) => entry.type === branchProperties.type?.const);
    if (!integration) throw new Error("the integration union has a branch that is not in the table");
    const kinds = integration.credentials.map((kind) => kind.type).join(", ");
    branch.title = integration.title;
    branch.description = `${integration.title} (type ${integration.type}); credential kinds: ${kinds}.`;
    branchProperties.type = { ...branchProperties.type, description: `${integration.type}: ${integration.title}` };
    annotateFields(branchProperties, integration.fields, options);
    const credentials = branchProperties.credentials;
    if (credentials) {
      credentials.description = `Credentials of the ${integration.title} connection: ${kinds}`;
      for (const option of (credentials.oneOf ?? []) as JsonObject[]) {
        const optionProperties = option.properties as Record<string, JsonObject>;
        const kind = integration.credentials.find((candidate) => candidate.type === optionProperties.type?.const);
        if (!kind) throw new Error(`${integration.type} has a credential kind that is not in the table`);
        option.title = kind.type;
        option.description = credentialKindDoc(integration, kind);
        optionProperties.type = { ...optionProperties.type, description: credentialKindDoc(integration, kind) };
        annotateFields(optionProperties, kind.fields, options);
      }
    }
  }
  return attributes;
}

function annotateFields(
  properties: Record<string, JsonObject>,
  fields: Fields,
  options: { connectionFile?: boolean },
): void {
  for (const [name, field] of Object.entries(fields)) {
    const schema = properties[name];
    if (!schema) continue;
    if (options.connectionFile && name === "generate_new_external_id") {
      delete properties[name];
      continue;
    }
    switch (field.kind) {
      case "text":
        acceptEnv(schema);
        if (field.secret) {
          schema.description = secretDoc(field.doc, field.secret === "by-name");
          if (field.secret === true) schema.writeOnly = true;
        }
        break;
      case "object":
        annotateFields(schema.properties as Record<string, JsonObject>, field.fields, options);
        break;
      case "list":
        annotateFields(
          (schema.items as JsonObject | undefined)?.properties as Record<string, JsonObject>,
          field.item,
          options,
        );
        break;
      default:
        break;
    }
  }
}

/** A patterned string also accepts what `!env NAME` shows an editor, unless its pattern already does. */
function acceptEnv(schema: JsonObject | undefined): void {
  const pattern = schema?.pattern;
  if (!schema || typeof pattern !== "string" || new RegExp(pattern).test("MY_VARIABLE_1")) return;
  delete schema.pattern;
  schema.anyOf = [{ pattern }, { pattern: ENV_NAME, description: `the name of a variable, written ${ENV_TAG} NAME` }];
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

// ── The slug and the pins ──────────────────────────────────────────────────────────────────────────

/** Where the README's pins come from: the files Dependabot updates. */
export const PIN_SOURCES_DIR = ".github/readme-pins";

export interface Pin {
  readonly action: string;
  readonly commit: string;
  readonly version: string;
}

const USES_LINE = /^(\s*(?:-\s+)?uses:\s*)([\w.-]+\/[\w./-]+)@(\S+)(.*)$/gm;

/** `uses: owner/name@<40 hex> # vX.Y.Z` lines of a text. */
export function pinsIn(text: string): Pin[] {
  return [...text.matchAll(USES_LINE)].flatMap(([, , action = "", ref = "", rest = ""]) => {
    const version = /^\s*#\s*(v\d+(?:\.\d+)*)\s*$/.exec(rest)?.[1];
    return /^[0-9a-f]{40}$/.test(ref) && version ? [{ action, commit: ref, version }] : [];
  });
}

/** action → its pin, from the workflows and .github/readme-pins/; the same action pinned twice differently is an error. */
export function pinSources(root: string = ROOT): Map<string, Pin> {
  const files = [
    ...readdirSync(join(root, ".github/workflows"))
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => `.github/workflows/${name}`),
    `${PIN_SOURCES_DIR}/action.yml`,
  ];
  const pins = new Map<string, Pin>();
  for (const path of files) {
    for (const pin of pinsIn(readFileSync(join(root, path), "utf8"))) {
      const known = pins.get(pin.action);
      if (known && known.commit !== pin.commit) {
        throw new Error(
          `${path} pins ${pin.action} at ${pin.version}, another file at ${known.version}: pin one commit`,
        );
      }
      pins.set(pin.action, pin);
    }
  }
  return pins;
}

/** The README's text with every mention of the action's repository naming `repository`. */
export function withSlug(text: string, repository: Repository): string {
  return text.replace(new RegExp(`(?<![\\w.-])[\\w.-]+/${repository.name}(?![\\w-])`, "g"), repository.slug);
}

/**
 * Every `uses:` in the README's examples pinned as its source pins it. This action's own `uses:` lines
 * get its pin once .github/readme-pins/ has one (after the first release); until then `@v1`.
 */
export function withPins(text: string, pins: ReadonlyMap<string, Pin>, repository: Repository): string {
  return text.replace(USES_LINE, (line, lead: string, action: string, ref: string, rest: string) => {
    // `@<40-character commit SHA>`: a form to fill in, shown as such
    if (ref.startsWith("<")) return line;
    if (action === repository.slug) {
      const own = pins.get(action);
      return own
        ? `${lead}${action}@${own.commit} # ${own.version}`
        : `${lead}${action}@v1 # no release yet: pin its commit once there is one (see Versioning)`;
    }
    if (!/^[0-9a-f]{40}$/.test(ref)) return line;
    const pin = pins.get(action);
    if (!pin) {
      throw new Error(
        `README.md uses ${action}, which no workflow pins: add it to ${PIN_SOURCES_DIR}/action.yml, pinned by SHA`,
      );
    }
    return `${lead}${action}@${pin.commit} # ${pin.version}${rest.replace(/^\s*#\s*v[\d.]+/, "")}`;
  });
}

/** CHANGELOG.md with its link definitions written from its entries and the slug. */
export function changelogWithLinks(text: string, repository: Repository): string {
  const base = `https://github.com/${repository.slug}`;
  const versions = changelogEntries(text).map((entry) => entry.version);
  const released = versions.filter((version) => version.toLowerCase() !== "unreleased");
  const links = versions.map((version, at) => {
    if (version.toLowerCase() === "unreleased") {
      const latest = released[0];
      return `[${version}]: ${latest ? `${base}/compare/v${latest}...HEAD` : `${base}/commits/HEAD`}`;
    }
    const previous = versions[at + 1];
    return `[${version}]: ${previous ? `${base}/compare/v${previous}...v${version}` : `${base}/releases/tag/v${version}`}`;
  });
  const body = text.replace(/(\n\[[^\]\n]+\]: \S+)+\n*$/, "").trimEnd();
  return `${body}\n\n${links.join("\n")}\n`;
}

/** Every generated file, as `npm run generate` writes it: path relative to the root → content. */
export function generatedFiles(root: string = ROOT): Map<string, string> {
  const action = readActionMetadata(readFileSync(join(root, "action.yml"), "utf8"));
  const repository = root === ROOT ? REPOSITORY : readRepository(root);
  let readme = withSlug(readFileSync(join(root, "README.md"), "utf8"), repository);
  readme = withPins(readme, pinSources(root), repository);
  readme = replaceSection(readme, "integrations", integrationsSection());
  readme = replaceSection(readme, "inputs", inputsSection(action));
  readme = replaceSection(readme, "outputs", outputsSection(action));
  return new Map([
    [SCHEMA_PATH, `${JSON.stringify(patchJsonSchema(repository), null, 2)}\n`],
    [CONNECTION_SCHEMA_PATH, `${JSON.stringify(connectionJsonSchema(repository), null, 2)}\n`],
    ["README.md", readme],
    ["CHANGELOG.md", changelogWithLinks(readFileSync(join(root, "CHANGELOG.md"), "utf8"), repository)],
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
