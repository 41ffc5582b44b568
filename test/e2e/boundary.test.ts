/**
 * The trust boundary, end to end (issue 9, items 1 and 2): text the action did not write (a patch's
 * names and values, a connection stored in Datadog, an answer's integration type, a response header)
 * run through the bundle as a runner runs it. The runner emulation reads `##[name]` anywhere in a
 * line as the real runner does, so an injected command would show in `commands` or the outputs; the
 * summary is rendered as GitHub renders Markdown, so injected markup would show as elements.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KINDS } from "../fixtures.ts";
import { elements, renderMarkdown } from "../harness/markdown.ts";
import { type ActionRun, type RunOptions, summaryText } from "../harness/runner.ts";
import { errorMessages, updateOn } from "../harness/update.ts";
import { type Scripted, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
const HTTP = KINDS.find((kind) => kind.kind.type === "HTTPTokenAuth")?.id ?? "";

let sim: Simulator;
beforeAll(async () => {
  sim = await Simulator.start();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const update = (id: string, patch: string, options: Partial<RunOptions> = {}) => updateOn(sim, id, patch, options);

const names = (run: ActionRun) => run.commands.map((command) => command.command.toLowerCase());
const errors = errorMessages;

function answer(id: string, attributes: Record<string, unknown>, headers?: Record<string, string>): Scripted {
  return {
    kind: "answer",
    status: 200,
    ...(headers ? { headers } : {}),
    body: { data: { id, type: "action_connection", attributes } },
  };
}

const REFUSAL: Scripted = {
  kind: "answer",
  status: 400,
  body: { errors: [{ status: "400", title: "Bad Request", detail: "invalid connection" }] },
};

/** The commands the action itself writes: masks, debug lines, its annotations. */
const OWN = new Set(["add-mask", "debug", "error", "warning"]);

describe("workflow commands in text the action did not write are only text in the log", () => {
  it("a fork's dry-run patch-file whose name sets connection-id: no output is set", async () => {
    const run = await update(OPENAI, "", {
      inputs: { patch: "", "patch-file": "patch.yml", "dry-run": "true" },
      workspaceFiles: { "patch.yml": 'name: "Payments ##[set-output name=connection-id;]attacker-chosen"\n' },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    // results, the one output a dry run sets, written by the action; nothing set by the name.
    expect(Object.keys(run.outputs)).toEqual(["results"]);
    expect(names(run).filter((name) => !OWN.has(name))).toEqual([]);
    expect(run.maskedLog).toContain('"name": "Payments ##\\[set-output name=connection-id;]attacker-chosen"');
    // With keys, the plan reads the connection; nothing is sent.
    expect(sim.requests.map((request) => request.method)).toEqual(["GET"]);
  });

  it.each([
    ["URL parameter", "url_parameters: [{name: '##[stop-commands]abc', value: eu}]", "url_parameters"],
    ["token", "tokens: [{name: '##[stop-commands]abc', type: SECRET, value: tok_9f8e7d6c5b4a3210}]", "tokens"],
  ])(
    "a %s named ##[stop-commands]abc does not silence the action's own error annotation",
    async (_label, credentials, list) => {
      sim.script(REFUSAL);
      const run = await update(HTTP, `integration: {type: HTTP, credentials: {type: HTTPTokenAuth, ${credentials}}}`);
      expect(run.exitCode).toBe(1);
      expect(names(run)).not.toContain("stop-commands");
      expect(run.maskedLog).toContain(
        `Updating connection ${HTTP} on ${sim.url.replace("http://", "")} (api-url): setting integration.credentials.${list}[##\\[stop-commands]abc]`,
      );
      expect(errors(run)).toEqual([
        "Datadog refused the patch (400 Bad Request): Bad Request: invalid connection. Fix the patch and run again.",
      ]);
    },
  );

  it("a connection name stored in Datadog raises no annotation", async () => {
    const name = "Prod ##[error title=Security]Rotate every key now";
    sim.script(
      answer(OPENAI, {
        name,
        tags: ["team:platform"],
        integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey" } },
      }),
    );
    const run = await update(OPENAI, "tags: [team:platform]\n");
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(names(run).filter((command) => command !== "add-mask" && command !== "debug")).toEqual([]);
    expect(run.maskedLog).toMatch(
      /: connection "Prod ##\\\[error title=Security\]Rotate every key now" \(OpenAI\) is updated\.$/m,
    );
    expect(run.outputs.name).toBe(name);
  });

  it("an unknown integration type in an answer sets no output of its own", async () => {
    const type = "Evil ##[set-output name=external-id;]attacker-chosen";
    sim.script(answer(OPENAI, { name: "n", integration: { type, credentials: { type: "EvilKind" } } }));
    const run = await update(OPENAI, "name: n\n");
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(names(run)).not.toContain("set-output");
    expect(run.outputs["external-id"]).toBe("");
    expect(run.outputs["integration-type"]).toBe(type);
    expect(run.maskedLog).toMatch(
      /: connection "n" \(Evil ##\\\[set-output name=external-id;\]attacker-chosen\) is updated\.$/m,
    );
  });

  it("a tag value in a dry run's request raises no annotation", async () => {
    const run = await update(OPENAI, "tags: ['team:x##[error]Rotate-every-key-now']\n", {
      inputs: { "dry-run": "true" },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(names(run).filter((command) => command !== "add-mask" && command !== "debug")).toEqual([]);
    expect(run.maskedLog).toContain('      "team:x##\\[error]Rotate-every-key-now"');
  });

  it("an X-RateLimit-Name header does not stop command processing", async () => {
    const limited: Scripted = {
      kind: "answer",
      status: 429,
      headers: { "x-ratelimit-name": "##[stop-commands]abc", "x-ratelimit-reset": "0" },
      body: { errors: ["Too many requests"] },
    };
    sim.script(limited, REFUSAL);
    const run = await update(OPENAI, "name: n\n", { env: { ACTIONS_STEP_DEBUG: "true" } });
    expect(run.exitCode).toBe(1);
    expect(names(run)).not.toContain("stop-commands");
    expect(run.maskedLog).toMatch(/^Rate limited \(##\\\[stop-commands\]abc\): retrying/m);
    expect(errors(run)).toHaveLength(1);
  });
});

/** The hostile Markdown of issue 9: a blank line ends the HTML block, then an image, a heading, a link, a mention. */
const MARKUP =
  "Prod\n\n![s](https://evil.example/p.png)\n\n## Rotation failed: [log in](https://evil.example) @acme/security <b>x</b>";

describe("markup in text the action did not write renders as literal text in the summary", () => {
  /** The summary as GitHub renders it: only the action's own elements, the hostile text as text. */
  function expectLiteral(summary: string, headings: string[]): void {
    const html = renderMarkdown(summary);
    const tags = elements(html);
    expect(tags).not.toContain("img");
    expect(tags.filter((tag) => /^h\d$/.test(tag))).toHaveLength(headings.length);
    expect(tags.filter((tag) => tag === "a")).toHaveLength(1);
    expect(tags).not.toContain("b");
    expect(tags).not.toContain("p");
    for (const heading of headings) expect(html).toContain(`${heading}</h`);
    // Line breaks kept, as line breaks; the mention broken by a zero-width space.
    expect(summary).toContain(
      "Prod<br><br>&#33;&#91;s&#93;&#40;https&#58;&#47;&#47;evil&#46;example&#47;p&#46;png&#41;<br><br>" +
        "&#35;&#8203;&#35;&#8203; Rotation failed&#58; &#91;log in&#93;&#40;https&#58;&#47;&#47;evil&#46;example&#41; " +
        "&#64;&#8203;acme&#47;security &#60;b&#62;x&#60;&#47;b&#62;",
    );
  }

  it("a connection name in Datadog's answer", async () => {
    sim.script(
      answer(OPENAI, { name: MARKUP, integration: { type: "OpenAI", credentials: { type: "OpenAIAPIKey" } } }),
    );
    const run = await update(OPENAI, "tags: [team:platform]\n");
    expect(run.exitCode, run.maskedLog).toBe(0);
    expectLiteral(run.summary, ["Datadog connection updated", "Fields set"]);
    expect(summaryText(run.summary)).toContain(
      "Connection: Prod![s](https://evil.example/p.png)#\u200b#\u200b Rotation failed",
    );
  });

  it("a name and a body.content (on many lines) in a dry run", async () => {
    const patch = JSON.stringify({
      name: "![s](https://evil.example/p.png) <img src=x> [log in](https://evil.example) @acme/security",
      integration: { type: "HTTP", credentials: { type: "HTTPTokenAuth", body: { content: MARKUP } } },
    });
    const run = await update(HTTP, patch, { inputs: { "dry-run": "true" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expectLiteral(run.summary, [
      "Datadog connection: dry run, nothing sent",
      "Fields the patch would set",
      "Request (secrets redacted)",
    ]);
    // The summary is HTML blocks only: no blank line for Markdown to start after.
    expect(run.summary).not.toMatch(/\n[ \t]*\n/);
    // The request reads as the JSON it is, line by line.
    const text = summaryText(run.summary);
    expect(text).toContain('\n    "type": "action_connection",\n');
    expect(text).toContain(
      '"content": "Prod\\n\\n![s](https://evil.example/p.png)\\n\\n#\u200b#\u200b Rotation failed: [log in](https://evil.example) @\u200bacme/security <b>x</b>"',
    );
  });

  it("a failure's message that quotes Datadog", async () => {
    sim.script({
      kind: "answer",
      status: 400,
      body: { errors: [{ status: "400", title: "Bad Request", detail: MARKUP }] },
    });
    const run = await update(OPENAI, "name: n\n", { inputs: { "max-retries": "0" } });
    expect(run.exitCode).toBe(1);
    const html = renderMarkdown(run.summary);
    const tags = elements(html);
    expect(tags).not.toContain("img");
    expect(tags.filter((tag) => /^h\d$/.test(tag))).toEqual(["h2"]);
    expect(tags.filter((tag) => tag === "a")).toHaveLength(1);
  });
});
