import { describe, expect, it } from "vitest";
import { isCredentialName, SECRET_FIELD_NAMES } from "../../src/patch/integrations.ts";
import { blank, findSecrets, maskForms, REDACTED, redact, SecretRegistry } from "../../src/secrets.ts";
import { integrationPatch, KINDS } from "../fixtures.ts";

describe("the secret fields come from the table", () => {
  it("are exactly the fields Datadog blanks in its answers", () => {
    expect([...SECRET_FIELD_NAMES].sort()).toEqual(
      [
        "access_token",
        "api_key",
        "api_password",
        "api_token",
        "app_key",
        "client_secret",
        "global_api_key",
        "password",
        "private_key",
        "sdk_key",
      ].sort(),
    );
  });

  it.each(KINDS.map((kind) => [kind.kind.type, kind] as const))("finds the secrets of a %s patch", (_type, kind) => {
    const patch = integrationPatch(kind);
    const credentials = patch.credentials as Record<string, unknown>;
    const expected = Object.entries(kind.kind.fields)
      .filter(([, field]) => field.kind === "text" && field.secret === true)
      .map(([name]) => credentials[name]);
    if (kind.kind.type === "HTTPTokenAuth") expected.push("tok_5f0c2a9e1b7d4c3a"); // tokens[0].value
    expect(findSecrets({ integration: patch }).sort()).toEqual(expected.sort());
  });
});

describe("HTTP headers and URL parameters: secret when the name marks a credential", () => {
  const http = (entries: { name: string; value: string }[]) => ({
    integration: { type: "HTTP", credentials: { type: "HTTPTokenAuth", headers: entries, url_parameters: entries } },
  });

  it.each([
    "Authorization",
    "proxy-authorization",
    "Cookie",
    "X-Api-Key",
    "X-Auth-Token",
    "client_secret",
    "DB-PASSWORD",
    "X-Session-Id",
    "X-Amz-Signature",
    "apikey",
    // Whole words of the name, at -, _, . and case changes.
    "code",
    "sig",
    "sas",
    "X-Cookie",
    "Set-Cookie",
    "X-Jwt",
    "jwtToken",
    "JWT",
    "XJwt",
    "google_credentials",
    "X-Credential",
    "Bearer",
    "db.passwd",
    "DB_PWD",
    "sas_url",
  ])("%s is a credential", (name) => {
    expect(isCredentialName(name)).toBe(true);
    expect(findSecrets(http([{ name, value: "v1" }]))).toEqual(["v1", "v1"]);
  });

  it.each([
    "region",
    "X-Api-Version",
    "Accept",
    "Content-Type",
    "page",
    // The letters inside another word are not the word.
    "X-Design-Version",
    "signal",
    "Sassy",
    "country_code",
    "X-Status-Code",
    "encoded",
    "jwtx",
    "Cookies-Consent-Version",
  ])("%s is not", (name) => {
    expect(isCredentialName(name)).toBe(false);
    expect(findSecrets(http([{ name, value: "eu" }]))).toEqual([]);
  });

  it("blanks an Authorization header in the connection output and keeps a region", () => {
    const answer = http([
      { name: "Authorization", value: "Bearer abc" },
      { name: "region", value: "eu" },
    ]);
    expect(blank(answer).integration.credentials.headers).toEqual([
      { name: "Authorization", value: "" },
      { name: "region", value: "eu" },
    ]);
  });
});

describe("blanking Datadog's answer", () => {
  it("goes by the table only: a field Datadog may add, named like a credential, keeps its value", () => {
    const answer = {
      attributes: {
        integration: { credentials: { type: "OktaAPIToken", api_token: "", domain: "acme.okta.com" } },
        auth_type: "oauth",
        external_secrets_manager: "vault",
      },
    };
    expect(blank(answer)).toEqual(answer);
    expect(redact(answer).attributes).toMatchObject({ auth_type: REDACTED, external_secrets_manager: REDACTED });
  });
});

describe("finding secrets before validation", () => {
  it("takes the value of a field misspelled from a secret one, and of unknown credential-like fields", () => {
    expect(findSecrets({ integration: { credentials: { api_tokn: "a", my_password: "b", note: "c" } } })).toEqual([
      "a",
      "b",
    ]);
  });

  it("takes every string under a secret field that YAML read as a mapping (a value holding ': ')", () => {
    expect(findSecrets({ api_token: { "sk-1": "rest" } })).toEqual(["sk-1", "rest"]);
  });

  it("takes text given as an entry of a secret list, and never fails on an entry that is not a mapping", () => {
    expect(findSecrets({ tokens: ["sk-live-entry"], headers: ["Authorization: Bearer h1"] })).toEqual([
      "sk-live-entry",
      "Authorization: Bearer h1",
    ]);
    expect(findSecrets({ tokens: [null, 42], headers: [{ name: 42, value: "v-of-a-number-name" }] })).toEqual([
      "v-of-a-number-name",
    ]);
    // Datadog's answer: judged by the table only.
    expect(blank({ tokens: ["as-text"] })).toEqual({ tokens: ["as-text"] });
  });

  it("takes the key of a one-entry mapping only when its value is text and the key no field name", () => {
    expect(findSecrets({ api_token: { "sk-1": ["rest"] } })).toEqual(["rest"]);
    expect(findSecrets({ api_token: { project_id: "p-1", client_id: "c-1" } })).toEqual(["p-1", "c-1"]);
    expect(findSecrets({ api_token: { password: "p-2" } })).toEqual(["p-2"]);
  });

  it("takes only the leaf values of a document pasted under a secret field, never its keys", () => {
    const keyFile = { type: "service_account", private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n", client_id: "1234" };
    expect(findSecrets({ private_key: keyFile })).toEqual([
      "service_account",
      "-----BEGIN PRIVATE KEY-----\nMIIE\n",
      "1234",
    ]);
    expect(findSecrets({ private_key: { private_key: "pem" } })).toEqual(["pem"]);
  });

  it("takes every field of a secret list entry but its name, type and deleted (a misspelt `valu` too)", () => {
    expect(
      findSecrets({
        tokens: [{ name: "bearer", type: "SECRET", valu: "t1" }],
        headers: [
          { name: "Authorization", vaule: "Bearer h1" },
          { name: "X-Api-Version", valu: "2024-06-01" },
        ],
      }),
    ).toEqual(["t1", "Bearer h1"]);
  });

  it("takes text given where credentials or a list of them belong", () => {
    expect(findSecrets({ integration: { credentials: "sk-1" } })).toEqual(["sk-1"]);
    expect(
      findSecrets({ credentials: { headers: "Authorization: Bearer h1", tokens: "t1", url_parameters: "api_key=p1" } }),
    ).toEqual(["Authorization: Bearer h1", "t1", "api_key=p1"]);
  });

  it("takes the values of a key repeated in a refused document, kept as a list", () => {
    expect(findSecrets({ api_token: ["first", "second"] })).toEqual(["first", "second"]);
  });

  it("never takes known non-secret fields, however they are named", () => {
    expect(findSecrets({ auth_email: "ops@example.com", account_id: "123456789012", name: "Token rotation" })).toEqual(
      [],
    );
  });
});

describe("maskForms", () => {
  it("gives a one-line secret and its trimmed form", () => {
    expect(maskForms(" abc ")).toEqual([" abc ", "abc"]);
  });

  it("gives a PEM key whole, trimmed, in CRLF and LF forms, each line, JSON-escaped and on one line", () => {
    const pem = "-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----\n";
    expect(maskForms(pem).sort()).toEqual(
      [
        pem,
        pem.trim(),
        pem.replace(/\n/g, "\r\n"),
        "-----BEGIN KEY-----\\nAAAA\\nBBBB\\n-----END KEY-----\\n",
        "-----BEGIN KEY-----\\nAAAA\\nBBBB\\n-----END KEY-----",
        "-----BEGIN KEY-----\\r\\nAAAA\\r\\nBBBB\\r\\n-----END KEY-----\\r\\n",
        "-----BEGIN KEY----- AAAA BBBB -----END KEY-----",
        "-----BEGIN KEY-----",
        "AAAA",
        "BBBB",
        "-----END KEY-----",
      ].sort(),
    );
  });

  it("gives the JSON-escaped form of a secret with quotes, backslashes and controls, as JavaScript writes it", () => {
    expect(maskForms('a"b\\c\td€')).toEqual(['a"b\\c\td€', 'a\\"b\\\\c\\td€', 'a"b\\c d€']);
  });

  it("gives the LF form of a CRLF secret, and each of its lines trimmed", () => {
    expect(maskForms("  key-line-one  \r\n  key-line-two  ")).toEqual(
      expect.arrayContaining(["  key-line-one  \n  key-line-two  ", "key-line-one", "key-line-two"]),
    );
  });

  it("gives the form a message shows after making each run of white space one space", () => {
    expect(maskForms("pass  word\u00a0x")).toEqual(["pass  word\u00a0x", "pass word x"]);
  });
});

describe("SecretRegistry", () => {
  it("registers each form once and scrubs them from text, longest first", () => {
    const registered: string[] = [];
    const registry = new SecretRegistry((value) => registered.push(value));
    registry.register(["tok-abcdefgh", "tok-abcdefgh", "tok-abcdefgh-long"]);
    expect(registered).toEqual(["tok-abcdefgh", "tok-abcdefgh-long"]);
    expect(registry.scrub("x tok-abcdefgh-long y tok-abcdefgh")).toBe(`x ${REDACTED} y ${REDACTED}`);
  });

  it("scrubs a short secret only where it is the whole text, not inside other words", () => {
    const registry = new SecretRegistry(() => undefined);
    // `auth_version: "1"` is secret by its name; the connection's id must keep its 1s.
    registry.register(["1", "name"]);
    expect(registry.scrub("1")).toBe(REDACTED);
    expect(registry.scrub("cb460d51-3c88-4e87-adac-d47131d0423d")).toBe("cb460d51-3c88-4e87-adac-d47131d0423d");
    expect(registry.scrubMessage("integration.credentials.headers[0].name: is required (text)")).toBe(
      "integration.credentials.headers[0].name: is required (text)",
    );
  });

  it("scrubs the JSON-escaped and one-line forms too", () => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(['se"cret  ab\\r', "-----BEGIN KEY-----\nQUFBQUFB\n-----END KEY-----\n"]);
    expect(registry.scrub('{"v":"se\\"cret  ab\\\\r"} said se"cret ab\\r')).toBe(
      `{"v":"${REDACTED}"} said ${REDACTED}`,
    );
    expect(registry.scrub("got -----BEGIN KEY----- QUFBQUFB -----END KEY----- there")).toBe(`got ${REDACTED} there`);
  });

  it("scrubs, in a message, the start of a secret that a shortened message cut", () => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(["sk-live-0123456789abcdef"]);
    expect(registry.scrubMessage("Datadog said: invalid token sk-live-0123. Fix the patch.")).toBe(
      `Datadog said: invalid token ${REDACTED}. Fix the patch.`,
    );
    expect(registry.scrubMessage("cut: sk-live-0123... and whole: sk-live-0123456789abcdef")).toBe(
      `cut: ${REDACTED}... and whole: ${REDACTED}`,
    );
    // Five characters say nothing; seven that begin like a secret and go on stay (a field's path);
    // and outside messages, text that only begins like a secret stays.
    expect(registry.scrubMessage("was sk-li... end")).toBe("was sk-li... end");
    expect(registry.scrubMessage("credentials.sk-live: unknown field")).toBe("credentials.sk-live: unknown field");
    expect(registry.scrub("sk-live-0123")).toBe("sk-live-0123");
  });

  it("scrubs from server text any run of eight or more characters of a secret, wherever it is cut", () => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(["sk-ant-api03-Zq9Xv7LmN4pQwRtY2aBcDeFgHiJkL"]);
    // The example: 17 characters past the public prefix, then "(truncated)".
    expect(registry.scrubMessage("token sk-ant-api03-Zq9Xv7LmN4pQwRtY2 (truncated) rejected")).toBe(
      `token ${REDACTED} (truncated) rejected`,
    );
    // A middle piece, and a piece with its first characters dropped.
    expect(registry.scrubMessage("saw N4pQwRtY2aBc and -api03-Z here")).toBe(`saw ${REDACTED} and ${REDACTED} here`);
    // Seven characters of the middle say nothing; eight do.
    expect(registry.scrubMessage("x Zq9Xv7L y")).toBe("x Zq9Xv7L y");
    expect(registry.scrubMessage("x Zq9Xv7Lm y")).toBe(`x ${REDACTED} y`);
    // Two pieces that touch or overlap are one.
    expect(registry.scrubMessage("sk-ant-api03-Zq9Xv7LmN4pQwRtY2aBcDeFgHiJkLsk-ant-api03")).toBe(REDACTED);
    // The exact scrub (outputs, summary) is not widened.
    expect(registry.scrub("token sk-ant-api03-Zq9Xv7LmN4pQwRtY2 (truncated)")).toBe(
      "token sk-ant-api03-Zq9Xv7LmN4pQwRtY2 (truncated)",
    );
  });

  it.each([
    ["Go's encoding/json", "p\\u0026ss\\u003cw\\u003erd-Go-9x\\u2028z"],
    ["Go's encoding/json, cut", "ss\\u003cw\\u003er"],
    [".NET's System.Text.Json", "p\\u0026ss\\u003Cw\\u003Erd-Go-9x\\u2028z"],
    ["a mix of raw and escaped", "p&ss<w>rd-Go-9x\\u2028z"],
    ["JSON escaped twice", 'say  \\\\\\"q\\\\\\" end'],
    ["URL-encoding", "p%26ss%3Cw%3Erd-Go-9x"],
    ["URL-encoding of a space as +", "9x%E2%80%A8z+say++%22q"],
    ["HTML-escaping", "p&amp;ss&lt;w&gt;rd-Go"],
    ["HTML-escaping of quotes", "&#34;q&#34; end"],
    ["collapsed white space", 'z say "q" end'],
  ])("scrubs a secret that a server quotes in %s", (_form, quoted) => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(['p&ss<w>rd-Go-9x\u2028z say  "q" end']);
    expect(registry.scrubMessage(`Datadog: invalid [${quoted}]`)).toBe(`Datadog: invalid [${REDACTED}]`);
  });

  it("scrubs a start of a secret of six or seven characters where a shortened message stops, and nowhere else", () => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(["Zq9Xv7LmN4pQwRtY"]);
    for (const end of [".", "…", ")", "]", '"', "'"]) {
      expect(registry.scrubMessage(`token Zq9Xv7${end} next`)).toBe(`token ${REDACTED}${end} next`);
      expect(registry.scrubMessage(`token Zq9Xv7L${end} next`)).toBe(`token ${REDACTED}${end} next`);
    }
    expect(registry.scrubMessage("token Zq9Xv7")).toBe(`token ${REDACTED}`);
    expect(registry.scrubMessage("token Zq9Xv7L")).toBe(`token ${REDACTED}`);
    // Five characters, text that goes on, or a piece that is not the start: shown.
    expect(registry.scrubMessage("token Zq9Xv.")).toBe("token Zq9Xv.");
    expect(registry.scrubMessage("token Zq9Xv7, next")).toBe("token Zq9Xv7, next");
    expect(registry.scrubMessage("token Zq9Xv7Lx.")).toBe("token Zq9Xv7Lx.");
    expect(registry.scrubMessage("token q9Xv7Lm.")).toBe("token q9Xv7Lm.");
    // The end of a secret at the end of a text is not a run of eight.
    expect(registry.scrubMessage("ends with QwRtY")).toBe("ends with QwRtY");
    expect(registry.scrubMessage("ends with pQwRtY")).toBe("ends with pQwRtY");
  });

  it("scrubs runs of a secret of eight characters, a shorter one only whole", () => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(["ab<defgh", "xy<uvwz", "  klmnopq "]);
    // Eight: its Go-escaped form anywhere. Seven: only as the whole text, however escaped.
    expect(registry.scrubMessage("got ab\\u003cdefgh here")).toBe(`got ${REDACTED} here`);
    expect(registry.scrubMessage("got xy\\u003cuvwz here")).toBe("got xy\\u003cuvwz here");
    expect(registry.scrubMessage("xy<uvwz")).toBe(REDACTED);
    // Seven once trimmed: not by runs, though ten with its spaces.
    expect(registry.scrubMessage("got klmnopq  here")).toBe("got klmnopq  here");
    // The exact scrub takes a form of eight anywhere.
    expect(registry.scrub("got ab<defgh here")).toBe(`got ${REDACTED} here`);
  });

  it("scrubs a multi-line secret quoted with other line breaks, and in Python's, .NET's and Go's URL escapes", () => {
    const registry = new SecretRegistry(() => undefined);
    registry.register(["first-line-abc\nsecond-line-def", "p\u00e4ss-w\u00f6rd!(x)*'y"]);
    expect(registry.scrubMessage("got first-line-abc\r\nsecond-line-def.")).toBe(`got ${REDACTED}.`);
    expect(registry.scrubMessage("py p\\u00e4ss-w\\u00f6rd!(x)*'y")).toBe(`py ${REDACTED}`);
    expect(registry.scrubMessage("net p\\u00E4ss-w\\u00F6rd!(x)*\\u0027y")).toBe(`net ${REDACTED}`);
    expect(registry.scrubMessage("go p%C3%A4ss-w%C3%B6rd%21%28x%29%2A%27y")).toBe(`go ${REDACTED}`);
  });

  it("registers a secret holding a lone surrogate, which cannot be URL-encoded, with every other secret", () => {
    const registered: string[] = [];
    const registry = new SecretRegistry((value) => registered.push(value));
    registry.register(["lone-\ud800-surrogate", "next-secret-value"]);
    expect(registered).toEqual(["lone-\ud800-surrogate", "lone-\\ud800-surrogate", "next-secret-value"]);
    expect(registry.scrubMessage("got lone-%EF%BF%BD-surrogate")).toBe(`got ${REDACTED}`);
  });
});

describe("redact", () => {
  it("replaces secrets and keeps everything else", () => {
    expect(
      redact({ integration: { credentials: { type: "OktaAPIToken", api_token: "t", domain: "acme.okta.com" } } }),
    ).toEqual({ integration: { credentials: { type: "OktaAPIToken", api_token: REDACTED, domain: "acme.okta.com" } } });
  });
});

describe("values that are not text", () => {
  it("never takes the indices of a `!!binary` value (a Uint8Array) for secrets", () => {
    expect(findSecrets({ api_token: new Uint8Array([1, 2, 3]) })).toEqual([]);
  });
});
