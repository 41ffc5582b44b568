import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findSite, SITES } from "../../src/datadog/sites.ts";
import { Failure } from "../../src/failure.ts";
import { type Inputs, type PatchSource, readInputs, readKeys, readPatch } from "../../src/inputs.ts";

const ID = "cb460d51-3c88-4e87-adac-d47131d0423d";
const BASE = { "connection-id": ID, patch: "name: x", "api-key": "k".repeat(32), "app-key": "a".repeat(40) };

/** As main.ts reads them: the keys, the patch (first, to mask it), then the other inputs. */
function read(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Inputs & { patch: PatchSource } {
  const get = (name: string) => inputs[name] ?? "";
  const keys = readKeys(get, env);
  const patch = readPatch(get, env);
  return { ...readInputs(get, env, keys, false), patch };
}

function refusal(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): string {
  try {
    read(inputs, env);
  } catch (error) {
    if (error instanceof Failure) return error.message;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("site", () => {
  it.each(
    SITES.flatMap((site) =>
      [
        site.name,
        site.app,
        site.api,
        `https://${site.app}`,
        `https://${site.app}/`,
        ` ${site.name.toUpperCase()} `,
      ].map((text) => [text, site.name]),
    ),
  )("%s is %s", (text, name) => {
    expect(findSite(text)?.name).toBe(name);
  });

  it.each([
    "datadoghq.co",
    "acme.datadoghq.com",
    "http://app.datadoghq.eu",
    "https://app.datadoghq.eu/dashboards",
    "https://evil.example/datadoghq.com",
    "https://app.datadoghq.eu:8443",
  ])("refuses %s, listing the sites", (text) => {
    expect(findSite(text)).toBeUndefined();
    expect(refusal({ ...BASE, site: text })).toBe(
      "site: is not a Datadog site; use one of datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, ddog-gov.com, us2.ddog-gov.com, uk1.datadoghq.com",
    );
  });

  it("falls back to DD_SITE, then datadoghq.com", () => {
    expect(read(BASE, { DD_SITE: "datadoghq.eu" }).baseUrl).toBe("https://api.datadoghq.eu");
    expect(read(BASE).baseUrl).toBe("https://api.datadoghq.com");
    expect(read({ ...BASE, site: "us5.datadoghq.com" }, { DD_SITE: "datadoghq.eu" }).baseUrl).toBe(
      "https://api.us5.datadoghq.com",
    );
    expect(refusal(BASE, { DD_SITE: "nope" })).toMatch(/^DD_SITE: is not a Datadog site/);
  });
});

describe("api-url", () => {
  it.each([
    ["http://127.0.0.1:8126", "http://127.0.0.1:8126"],
    ["http://localhost:9000/", "http://localhost:9000"],
    ["http://[::1]:9000/dd", "http://[::1]:9000/dd"],
    ["https://dd-gateway.example.com/proxy/", "https://dd-gateway.example.com/proxy"],
  ])("takes %s as base %s", (text, base) => {
    expect(read({ ...BASE, "api-url": text }).baseUrl).toBe(base);
  });

  it.each([
    [
      "http://dd-gateway.example.com",
      "api-url: may use http:// only for a loopback host (localhost, 127.0.0.1, [::1]); use https://",
    ],
    ["ftp://x.example", "api-url: must start with https:// (or http:// for a loopback host)"],
    ["https://user:pw@x.example", "api-url: must not hold a user or password; the keys travel in headers"],
    ["https://x.example/?a=1", "api-url: must not hold a query or fragment"],
    ["not a url", "api-url: must be an absolute URL such as https://dd-gateway.example.com"],
  ])("refuses %s", (text, message) => {
    expect(refusal({ ...BASE, "api-url": text })).toBe(message);
  });
});

describe("connection-id", () => {
  it("takes a UUID, trimmed and lower-cased", () => {
    expect(read({ ...BASE, "connection-id": ` ${ID.toUpperCase()} ` }).connectionId).toBe(ID);
  });

  it.each(["123", `${ID}/../../v1/validate`, `${ID}?x=1`, "../connections", ` ${ID}x`])("refuses %s", (text) => {
    expect(refusal({ ...BASE, "connection-id": text })).toBe(
      "connection-id: must be a UUID such as 11111111-2222-3333-4444-555555555555 (find it in the connection's page in Datadog)",
    );
  });
});

describe("keys", () => {
  it("fall back to DD_API_KEY and DD_APP_KEY", () => {
    const inputs = read(
      { ...BASE, "api-key": "", "app-key": "" },
      { DD_API_KEY: "e".repeat(32), DD_APP_KEY: "f".repeat(40) },
    );
    expect([inputs.apiKey, inputs.appKey]).toEqual(["e".repeat(32), "f".repeat(40)]);
  });

  it("are required unless in a dry run", () => {
    expect(refusal({ ...BASE, "api-key": "" })).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows GitHub's expression syntax
      "api-key: is required; pass it as ${{ secrets.* }} or set DD_API_KEY in the environment",
    );
    expect(read({ ...BASE, "api-key": "", "app-key": "", "dry-run": "true" }).dryRun).toBe(true);
  });

  it("refuse a key holding a line break without quoting it", () => {
    expect(refusal({ ...BASE, "app-key": "abc\ndef" })).toBe(
      "app-key: holds spaces, line breaks or other characters a Datadog key never has; copy the key again",
    );
  });
});

describe("numbers and flags", () => {
  it("default to 60 s, 3 retries, no dry run", () => {
    expect(read(BASE)).toMatchObject({ timeoutMs: 60_000, maxRetries: 3, dryRun: false });
  });

  it.each([
    ["timeout-seconds", "0", "timeout-seconds: must be a number from 1 to 3600"],
    ["timeout-seconds", "-5", "timeout-seconds: must be a number from 1 to 3600"],
    ["timeout-seconds", "1e3", "timeout-seconds: must be a number from 1 to 3600"],
    ["max-retries", "2.5", "max-retries: must be a whole number from 0 to 10"],
    ["max-retries", "11", "max-retries: must be a whole number from 0 to 10"],
    ["dry-run", "yes", "dry-run: must be true or false"],
  ])("%s=%s is refused", (name, value, message) => {
    expect(refusal({ ...BASE, [name]: value })).toBe(message);
  });

  it("takes a fractional timeout", () => {
    expect(read({ ...BASE, "timeout-seconds": "2.5" }).timeoutMs).toBe(2500);
  });
});

describe("patch and patch-file", () => {
  const workspace = mkdtempSync(join(tmpdir(), "ws-"));
  mkdirSync(join(workspace, "connections"));
  writeFileSync(join(workspace, "connections", "openai.yml"), "\uFEFFname: from file\n");
  const outside = mkdtempSync(join(tmpdir(), "outside-"));
  writeFileSync(join(outside, "secret.yml"), "name: x\n");
  symlinkSync(join(outside, "secret.yml"), join(workspace, "link.yml"));

  it("reads a file relative to the workspace, without its BOM", () => {
    const inputs = read(
      { ...BASE, patch: "", "patch-file": "connections/openai.yml" },
      { GITHUB_WORKSPACE: workspace },
    );
    expect(inputs.patch).toEqual({ input: "patch-file", file: "connections/openai.yml", text: "name: from file\n" });
  });

  it.each([
    ["../outside.yml", "patch-file: must be a path inside the workspace (relative to GITHUB_WORKSPACE)"],
    ["/etc/passwd", "patch-file: must be a path inside the workspace (relative to GITHUB_WORKSPACE)"],
    ["link.yml", "patch-file: leads outside the workspace through a link; give a file inside the repository"],
    [
      "missing.yml",
      "patch-file: missing.yml was not found in the workspace; check the path and that the repository is checked out",
    ],
    ["connections", "patch-file: connections is not a file"],
  ])("refuses %s", (file, message) => {
    expect(refusal({ ...BASE, patch: "", "patch-file": file }, { GITHUB_WORKSPACE: workspace })).toBe(message);
  });

  it("wants exactly one of patch and patch-file", () => {
    expect(refusal({ ...BASE, "patch-file": "x.yml" })).toBe(
      "patch: and patch-file are both set; give exactly one of them",
    );
    expect(refusal({ ...BASE, patch: " " })).toBe(
      "patch: is required, or patch-file; give the attributes to change as YAML or JSON",
    );
  });
});

describe("patch", () => {
  it("keeps a no-break space or U+2028 that ends the last value (only YAML's white space is trimmed)", () => {
    for (const end of ["\u00a0", "\u2028"]) {
      expect(read({ ...BASE, patch: `\n  name: x${end} \n\n` }).patch.text).toBe(`name: x${end}`);
    }
  });

  it("refuses a patch given to patch-file, without quoting it", () => {
    expect(refusal({ ...BASE, patch: "", "patch-file": "name: x\napi_token: sk-1" })).toBe(
      "patch-file: must be a path, on one line; to give the patch itself, use the patch input",
    );
  });
});

describe("where messages say the request went", () => {
  it("names the site and the input that chose it", () => {
    expect(read(BASE).where).toEqual({ label: "datadoghq.com", input: "site" });
    expect(read({ ...BASE, site: "app.datadoghq.eu" }).where).toEqual({ label: "datadoghq.eu", input: "site" });
    expect(read(BASE, { DD_SITE: "us5.datadoghq.com" }).where).toEqual({
      label: "us5.datadoghq.com",
      input: "DD_SITE",
    });
  });

  it("names api-url by its host when it replaces the site", () => {
    expect(read({ ...BASE, site: "datadoghq.eu", "api-url": "https://api.datadoghq.com.gw.corp/dd" }).where).toEqual({
      label: "api.datadoghq.com.gw.corp (api-url)",
      input: "api-url",
    });
  });
});
