/**
 * End to end, for every integration and credential kind (25): the bundled action, run as a runner
 * runs it, against the simulator. Asserts the exact body Datadog received, every output, the summary
 * and that no secret of the patch can be read in the log. What is secret comes from the oracle
 * written from the API reference (secret-oracle.ts), never from the table under test; and each kind
 * runs twice: against a simulator that blanks secrets as Datadog does, and against one that answers
 * them un-blanked, where only the action's own blanking keeps them out of the outputs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Fields } from "../../src/patch/integrations.ts";
import { ACTION_NAME, ACTION_VERSION } from "../../src/version.ts";
import { exampleValues, integrationPatch, KINDS, type Kind } from "../fixtures.ts";
import { runAction, summaryText } from "../harness/runner.ts";
import { isSecretEntryValue, isSecretField } from "../secret-oracle.ts";
import { SIM_API_KEY, SIM_APP_KEY, SIM_PRINCIPAL_ID, Simulator } from "../simulator/server.ts";

const simulators: { blanking?: Simulator; leaky?: Simulator } = {};
beforeAll(async () => {
  simulators.blanking = await Simulator.start();
  simulators.leaky = await Simulator.start({ answerSecrets: true });
});
afterAll(async () => {
  await simulators.blanking?.close();
  await simulators.leaky?.close();
});
beforeEach(() => {
  simulators.blanking?.reset();
  simulators.leaky?.reset();
});

/**
 * What the `connection` output holds for fields the patch set: secrets (by the oracle) as "", the
 * rest echoed. `kind` is the credential kind, or undefined outside the credentials.
 */
function answered(kind: string | undefined, fields: Fields, values: Record<string, unknown>, list?: string) {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const field = fields[name];
    if (!field || field.direction === "update") continue;
    // HTTP tokens: Datadog's answers leave them out.
    if (field.kind === "list" && name === "tokens") continue;
    const secret =
      list !== undefined
        ? name === "value" && isSecretEntryValue(list, String(values.name))
        : kind !== undefined && isSecretField(kind, name);
    if (field.kind === "text") result[name] = secret ? "" : value;
    else if (field.kind === "object") result[name] = answered(kind, field.fields, value as Record<string, unknown>);
    else if (field.kind === "list")
      result[name] = (value as Record<string, unknown>[]).map((entry) => answered(kind, field.item, entry, name));
    else result[name] = value;
  }
  return result;
}

function secretValues(kind: string, fields: Fields, values: Record<string, unknown>): string[] {
  return Object.entries(fields).flatMap(([name, field]) => {
    const value = values[name];
    if (value === undefined) return [];
    if (field.kind === "text" && isSecretField(kind, name)) return [String(value)];
    if (field.kind === "list") {
      return (value as Record<string, unknown>[])
        .filter((entry) => isSecretEntryValue(name, String(entry.name)))
        .map((entry) => String(entry.value));
    }
    return [];
  });
}

/**
 * The summary's line for each field `values` sets, `path: value`, by the oracle: a secret as
 * `•••• updated`, never its value; an object's fields by their dotted path; a list's entries by name
 * (`headers[X-Api-Version]`), their value a secret when the oracle says so; a flag set to true as
 * `requested`.
 */
function summaryLines(kind: string | undefined, prefix: string, fields: Fields, values: Record<string, unknown>) {
  return Object.entries(values).flatMap(([name, value]): string[] => {
    const field = fields[name];
    const path = `${prefix}.${name}`;
    switch (field?.kind) {
      case "text":
        return [`${path}: ${kind !== undefined && isSecretField(kind, name) ? "•••• updated" : String(value)}`];
      case "flag":
        return value === true ? [`${path}: requested`] : [];
      case "tags":
        return [`${path}: ${(value as string[]).join(", ")}`];
      case "object":
        return summaryLines(kind, path, field.fields, value as Record<string, unknown>);
      case "list":
        return (value as Record<string, unknown>[]).map((entry) => {
          const secret = isSecretEntryValue(name, String(entry.name));
          return `${path}[${String(entry.name)}]: ${secret ? "•••• updated" : String(entry.value)}`;
        });
      default:
        // `type`: the discriminator, not a field the patch sets.
        return [];
    }
  });
}

describe.each(
  KINDS.flatMap((kind) => [
    [kind.kind.type, "blanks secrets", kind] as const,
    [kind.kind.type, "answers secrets un-blanked", kind] as const,
  ]),
)("%s, Datadog %s", (_type, mode, kind: Kind) => {
  it("sends the patch, sets every output and writes the summary", async () => {
    const simulator = (mode === "blanks secrets" ? simulators.blanking : simulators.leaky) as Simulator;
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
      ...answered(kind.kind.type, kind.kind.fields, credentials),
      ...(aws ? { external_id: externalId, principal_id: SIM_PRINCIPAL_ID } : {}),
    };
    expect(connection).toMatchObject({
      id: kind.id,
      type: "action_connection",
      attributes: {
        name,
        integration: {
          type: kind.integration.type,
          ...answered(undefined, kind.integration.fields, exampleValues(kind.integration.fields, "update")),
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
      ...summaryLines(undefined, "integration", kind.integration.fields, integrationFields),
      ...summaryLines(kind.kind.type, "integration.credentials", kind.kind.fields, credentials),
    ];
    // Every field line, and no other (a field's line starts with its path: `name`, `integration.`).
    expect(lines.filter((line) => /^(name|tags|integration\.[^ ]*): /.test(line))).toEqual(expectedLines);

    // No secret of the patch is readable.
    const secrets = secretValues(kind.kind.type, kind.kind.fields, credentials);
    for (const secret of secrets) {
      expect(run.masks).toContain(secret);
      expect(run.maskedLog).not.toContain(secret);
      expect(run.summary).not.toContain(secret);
      expect(JSON.stringify(run.outputs)).not.toContain(secret);
    }
  });
});
