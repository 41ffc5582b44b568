/**
 * End to end, for every integration and credential kind (25): the bundled action, run as a runner
 * runs it, against the simulator. Asserts the exact body Datadog received, every output, the summary
 * and that no secret of the patch can be read in the log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type Fields, isCredentialName } from "../../src/patch/integrations.ts";
import { ACTION_NAME, ACTION_VERSION } from "../../src/version.ts";
import { exampleValues, integrationPatch, KINDS, type Kind } from "../fixtures.ts";
import { runAction, summaryText } from "../harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, SIM_PRINCIPAL_ID, Simulator } from "../simulator/server.ts";

let simulator: Simulator;
beforeAll(async () => {
  simulator = await Simulator.start();
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());

/** What Datadog answers for fields the patch set: secrets as "", the rest echoed. */
function answered(fields: Fields, values: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const field = fields[name];
    if (!field || field.direction === "update") continue;
    // HTTP tokens: Datadog's answers leave them out.
    if (field.kind === "list" && field.item.value?.secret === true) continue;
    if (field.kind === "text") result[name] = field.secret === true ? "" : value;
    else if (field.kind === "object") result[name] = answered(field.fields, value as Record<string, unknown>);
    else if (field.kind === "list")
      result[name] = (value as Record<string, unknown>[]).map((entry) => answered(field.item, entry));
    else result[name] = value;
  }
  return result;
}

function secretValues(fields: Fields, values: Record<string, unknown>): string[] {
  return Object.entries(fields).flatMap(([name, field]) => {
    const value = values[name];
    if (value === undefined) return [];
    if (field.kind === "text" && field.secret === true) return [String(value)];
    if (field.kind === "list" && field.item.value?.secret === true) {
      return (value as Record<string, unknown>[]).map((entry) => String(entry.value));
    }
    return [];
  });
}

/**
 * The summary's line for each field `values` sets, `path: value`, by the table: a secret as
 * `•••• updated`, never its value; an object's fields by their dotted path; a list's entries by name
 * (`headers[X-Api-Version]`), their value a secret when the table says so (`true`, or `"by-name"`
 * and a name that marks a credential); a flag set to true as `requested`.
 */
function summaryLines(prefix: string, fields: Fields, values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([name, value]) => {
    const field = fields[name];
    const path = `${prefix}.${name}`;
    switch (field?.kind) {
      case "text":
        return [`${path}: ${field.secret === true ? "•••• updated" : String(value)}`];
      case "flag":
        return value === true ? [`${path}: requested`] : [];
      case "tags":
        return [`${path}: ${(value as string[]).join(", ")}`];
      case "object":
        return summaryLines(path, field.fields, value as Record<string, unknown>);
      case "list": {
        const secrecy = field.item.value?.secret;
        return (value as Record<string, unknown>[]).map((entry) => {
          const secret = secrecy === true || (secrecy === "by-name" && isCredentialName(String(entry.name)));
          return `${path}[${String(entry.name)}]: ${secret ? "•••• updated" : String(entry.value)}`;
        });
      }
      default:
        // `type`: the discriminator, not a field the patch sets.
        return [];
    }
  });
}

describe.each(KINDS.map((kind) => [kind.kind.type, kind] as const))("%s", (_type, kind: Kind) => {
  it("sends the patch, sets every output and writes the summary", async () => {
    const name = `Rotated ${kind.kind.type}`;
    const integration = integrationPatch(kind);
    const patch = stringify({ name, integration });
    const run = await runAction({
      inputs: {
        "connection-id": kind.id,
        patch,
        "api-url": simulator.url,
        "api-key": SIM_API_KEY,
        "app-key": SIM_APP_KEY,
      },
    });
    expect(run.stderr).toBe("");
    expect(run.exitCode, run.maskedLog).toBe(0);

    // Exactly one request, with the exact body and headers.
    expect(simulator.requests).toHaveLength(1);
    const [request] = simulator.requests;
    expect(request?.method).toBe("PATCH");
    expect(request?.path).toBe(`/api/v2/actions/connections/${kind.id}`);
    expect(request?.json).toEqual({ data: { type: "action_connection", attributes: { name, integration } } });
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      accept: "application/json",
      "dd-api-key": SIM_API_KEY,
      "dd-application-key": SIM_APP_KEY,
    });
    expect(request?.headers["user-agent"]).toMatch(new RegExp(`^${ACTION_NAME}/${ACTION_VERSION} `));

    // Every output.
    const credentials = integration.credentials as Record<string, unknown>;
    const aws = kind.integration.type === "AWS";
    const connection = JSON.parse(run.outputs.connection ?? "null");
    const externalId = aws ? (connection.attributes.integration.credentials.external_id as string) : "";
    expect(run.outputs).toEqual({
      "connection-id": kind.id,
      name,
      "integration-type": kind.integration.type,
      "external-id": externalId,
      connection: run.outputs.connection,
      results: run.outputs.results,
    });
    expect(JSON.parse(run.outputs.results ?? "null")).toEqual([
      {
        file: null,
        line: null,
        id: kind.id,
        name,
        integration_type: kind.integration.type,
        external_id: externalId,
        status: "updated",
        changed: expect.arrayContaining(["name"]),
      },
    ]);
    if (aws) expect(externalId).toMatch(/^[0-9a-f]{32}$/);
    const expectedCredentials = {
      type: kind.kind.type,
      ...answered(kind.kind.fields, credentials),
      ...(aws ? { external_id: externalId, principal_id: SIM_PRINCIPAL_ID } : {}),
    };
    expect(connection).toMatchObject({
      id: kind.id,
      type: "action_connection",
      attributes: {
        name,
        integration: {
          type: kind.integration.type,
          ...answered(kind.integration.fields, exampleValues(kind.integration.fields, "update")),
          credentials: expectedCredentials,
        },
      },
    });
    expect(connection.attributes.integration.credentials).toEqual(expectedCredentials);

    // The summary says what was set, one `path: value` line per field; secrets only as updated.
    const lines = summaryText(run.summary).split("\n");
    expect(lines).toContain(`Connection: ${name} (${kind.id})`);
    expect(lines).toContain(`Integration: ${kind.integration.title} (${kind.kind.type})`);
    const { credentials: _credentials, type: _type, ...integrationFields } = integration;
    const expectedLines = [
      `name: ${name}`,
      ...summaryLines("integration", kind.integration.fields, integrationFields),
      ...summaryLines("integration.credentials", kind.kind.fields, credentials),
    ];
    // Every field line, and no other (a field's line starts with its path: `name`, `integration.`).
    expect(lines.filter((line) => /^(name|tags|integration\.[^ ]*): /.test(line))).toEqual(expectedLines);

    // No secret of the patch is readable.
    const secrets = secretValues(kind.kind.fields, credentials);
    for (const secret of secrets) {
      expect(run.masks).toContain(secret);
      expect(run.maskedLog).not.toContain(secret);
      expect(run.summary).not.toContain(secret);
      expect(JSON.stringify(run.outputs)).not.toContain(secret);
    }
  });
});
