/**
 * The plan as a pull-request comment, end to end: the bundle run as a runner runs it, on a
 * pull_request event (an event payload file, GITHUB_EVENT_NAME, GITHUB_WORKFLOW, GITHUB_JOB), with
 * GITHUB_API_URL pointing at a GitHub REST API stand-in on loopback and the Datadog simulator.
 * What is asserted is what GitHub would receive and what the person reading the run sees.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KINDS } from "../fixtures.ts";
import { BOT, GITHUB_TOKEN, GitHubStandIn } from "../github/server.ts";
import { readableForms } from "../harness/leaks.ts";
import { type ActionRun, maskForms, runAction } from "../harness/runner.ts";
import { SIM_API_KEY, SIM_APP_KEY, Simulator } from "../simulator/server.ts";

const OPENAI = KINDS.find((kind) => kind.kind.type === "OpenAIAPIKey")?.id ?? "";
const HTTP = KINDS.find((kind) => kind.kind.type === "HTTPTokenAuth")?.id ?? "";
const PR = "acme/platform#7";
const MARKER = "<!-- update-datadog-action-connection ";
const RUN_URL = "https://github.com/acme/platform/actions/runs/42";
const ROTATE =
  "integration:\n  type: OpenAI\n  credentials:\n    type: OpenAIAPIKey\n    api_token: sk-proj-rotated-0123456789\n";

let github: GitHubStandIn;
let sim: Simulator;
let folder: string;
let eventPath: string;

beforeAll(async () => {
  [github, sim] = await Promise.all([GitHubStandIn.start(), Simulator.start()]);
  folder = mkdtempSync(join(tmpdir(), "comment-event-"));
  eventPath = join(folder, "event.json");
  // As GitHub writes it for pull_request (trimmed): the number twice, at the top and in pull_request.
  writeFileSync(
    eventPath,
    JSON.stringify({ action: "synchronize", number: 7, pull_request: { number: 7, head: { ref: "rotate" } } }),
  );
});
afterAll(async () => {
  await Promise.all([github.close(), sim.close()]);
  rmSync(folder, { recursive: true, force: true });
});
beforeEach(() => {
  github.requests.length = 0;
  github.comments.length = 0;
  sim.reset();
});

interface Step {
  patch?: string;
  dryRun?: boolean;
  id?: string;
  job?: string;
  event?: string;
  inputs?: Record<string, string>;
}

function step(options: Step = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      "connection-id": options.id ?? OPENAI,
      patch: options.patch ?? ROTATE,
      "dry-run": String(options.dryRun ?? true),
      "api-url": sim.url,
      "api-key": SIM_API_KEY,
      "app-key": SIM_APP_KEY,
      comment: "true",
      "github-token": GITHUB_TOKEN,
      ...options.inputs,
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_EVENT_NAME: options.event ?? "pull_request",
      GITHUB_WORKFLOW: "Datadog connections",
      GITHUB_JOB: options.job ?? "check",
      RUNNER_DEBUG: "1",
    },
  });
}

const ours = () => github.commentsStartingWith(PR, MARKER);
const warnings = (run: ActionRun) => run.commands.filter((c) => c.command === "warning").map((c) => c.message);
const writes = () => github.requests.filter((request) => request.method !== "GET");

describe("the plan as one pull-request comment", () => {
  it("the first run creates the comment, the next one updates the same comment", async () => {
    const first = await step();
    expect(first.exitCode, first.maskedLog).toBe(0);
    expect(ours()).toHaveLength(1);
    const [comment] = ours();
    expect(comment?.user).toEqual(BOT);
    expect(comment?.body).toContain("### Datadog connections: plan (dry run, nothing sent)");
    expect(first.maskedLog).toContain(
      `Commented the plan on pull request #7: https://github.com/acme/platform/pull/7#issuecomment-${comment?.id}`,
    );

    const second = await step({ dryRun: false });
    expect(second.exitCode, second.maskedLog).toBe(0);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.id).toBe(comment?.id);
    expect(ours()[0]?.body).toContain("### Datadog connections: applied");
    expect(ours()[0]?.body).toContain(
      "| <code>patch</code> input | OpenAI &#40;OpenAIAPIKey&#41; | OpenAI | updated |",
    );
    expect(writes().map((request) => `${request.method} ${request.url}`)).toEqual([
      "POST /repos/acme/platform/issues/7/comments",
      `PATCH /repos/acme/platform/issues/comments/${comment?.id}`,
    ]);
    expect(second.maskedLog).toContain(`Updated the comment on pull request #7: `);
  });

  it("a look-alike by someone else, starting with the marker (it is public), is never taken for its own", async () => {
    const first = await step();
    const marker = (ours()[0]?.body ?? "").split("\n")[0] ?? "";
    expect(marker).toMatch(/^<!-- update-datadog-action-connection [0-9a-f]{32} /);
    github.comments.length = 0;
    const planted = github.addComment("acme/platform#7", `${marker}\nNothing to change: all good.`, {
      login: "mallory",
      type: "User",
    });
    const run = await step();
    expect(first.exitCode).toBe(0);
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(github.comments.find((comment) => comment.id === planted.id)?.body).toBe(
      `${marker}\nNothing to change: all good.`,
    );
    expect(ours().filter((comment) => comment.user.login === BOT.login)).toHaveLength(1);
    expect(writes().map((request) => request.method)).toEqual(["POST", "POST"]);
  });

  it("a second job keeps a comment of its own, and each re-run edits its own", async () => {
    await step({ job: "check" });
    await step({ job: "check-eu" });
    expect(ours()).toHaveLength(2);
    const [check, eu] = ours();
    expect(check?.body.split("\n")[0]).not.toBe(eu?.body.split("\n")[0]);
    github.requests.length = 0;
    await step({ job: "check-eu", dryRun: false });
    await step({ job: "check", id: HTTP, patch: "name: Other connection\n" });
    expect(ours()).toHaveLength(3);
    expect(writes().map((request) => `${request.method} ${request.url}`)).toEqual([
      `PATCH /repos/acme/platform/issues/comments/${eu?.id}`,
      "POST /repos/acme/platform/issues/7/comments",
    ]);
  });

  it("finds its comment after more than a page of other comments, following GitHub's Link header", async () => {
    for (let index = 0; index < 130; index++) github.addComment(PR, `LGTM ${index}`);
    await step();
    const created = ours()[0];
    for (let index = 0; index < 90; index++) github.addComment(PR, `review ${index}`);
    github.requests.length = 0;
    const run = await step();
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(ours()).toHaveLength(1);
    expect(github.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /repos/acme/platform/issues/7/comments?per_page=100",
      "GET /repos/acme/platform/issues/7/comments?per_page=100&page=2",
      `PATCH /repos/acme/platform/issues/comments/${created?.id}`,
    ]);
  });

  it("sends the token, the API version, GitHub's media type and a User-Agent naming the action", async () => {
    await step();
    expect(github.requests).toHaveLength(2);
    for (const request of github.requests) {
      expect(request.headers).toMatchObject({
        authorization: `token ${GITHUB_TOKEN}`,
        "x-github-api-version": "2022-11-28",
        accept: "application/vnd.github.v3+json",
      });
      expect(request.headers["user-agent"]).toMatch(
        /^update-datadog-action-connection\/1\.0\.0 octokit-core\.js\/\S+ Node\.js\/24/,
      );
    }
    expect(github.requests[1]?.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("masks the GitHub token before anything is printed", async () => {
    const run = await step();
    expect(run.commands[0]?.command).toBe("add-mask");
    expect(run.masks).toContain(GITHUB_TOKEN);
    expect(run.stdout.indexOf(`::add-mask::${GITHUB_TOKEN}`)).toBeLessThan(run.stdout.indexOf("Would update"));
  });

  it("a fork's read-only token (403) is one warning, and the step keeps the plan's exit code", async () => {
    github.answerNext({
      method: "POST",
      status: 403,
      body: { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest" },
    });
    const passing = await step();
    expect(passing.exitCode, passing.maskedLog).toBe(0);
    expect(warnings(passing)).toEqual([
      "Could not comment on pull request #7: GitHub answered 403: the plan is in the job summary; a fork's token cannot comment (for a pull request from this repository, give the job permissions: pull-requests: write).",
    ]);
    expect(passing.summary).toContain("dry run, nothing sent");
    expect(ours()).toHaveLength(0);

    // A plan that fails keeps failing, for its own reason; the comment's 403 is still only a warning.
    github.answerNext({ method: "GET", status: 403, body: { message: "Resource not accessible by integration" } });
    const failing = await step({
      patch: "integration:\n  type: AWS\n  credentials:\n    type: AWSAssumeRole\n    account_id: '12345678901'\n",
    });
    expect(failing.exitCode).toBe(1);
    expect(warnings(failing)).toHaveLength(1);
    expect(failing.commands.filter((c) => c.command === "error").map((c) => c.message)).toEqual([
      "patch: integration.credentials.account_id: must be 12 digits (an AWS account id) (line 5, column 5)",
    ]);
  });

  it("another GitHub error is a warning with GitHub's status and message, scrubbed and inert", async () => {
    github.answerNext({
      method: "GET",
      status: 500,
      body: { message: "::error::boom\n##[set-output name=x;]y echoing sk-proj-rotated-0123456789" },
    });
    const run = await step({ dryRun: false });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(warnings(run)).toEqual([
      "Could not comment on pull request #7: GitHub answered 500: ::error::boom ##\\[set-output name=x;]y echoing ••••. The plan is in the job summary.",
    ]);
    expect(run.outputs["connection-id"]).toBe(OPENAI);
    expect(run.commands.filter((c) => c.command === "set-output")).toEqual([]);
  });

  it("GitHub's answer is text from outside: its address in the log is no workflow command", async () => {
    github.answerNext({
      method: "POST",
      status: 201,
      body: { id: 1, html_url: "https://github.com/x ##[set-output name=connection-id;]attacker\n::error::no" },
    });
    const run = await step();
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(run.commands.filter((c) => ["set-output", "error"].includes(c.command))).toEqual([]);
    expect(run.maskedLog).toContain(
      "Commented the plan on pull request #7: https://github.com/x ##\\[set-output name=connection-id;]attacker\n\\::error::no",
    );
  });

  it("an update applied and then a failed comment: the step passes and says it was applied", async () => {
    github.answerNext({ method: "POST", status: 404, body: { message: "Not Found" } });
    const run = await step({ dryRun: false });
    expect(run.exitCode).toBe(0);
    expect(run.maskedLog).toContain("is updated.");
    expect(warnings(run)).toEqual([
      "Could not comment on pull request #7: GitHub answered 404: Not Found. The plan is in the job summary.",
    ]);
  });

  it("a failed apply is commented as failed, with the reason", async () => {
    const missing = "99999999-8888-7777-6666-555555555555";
    const run = await step({ dryRun: false, id: missing, patch: "name: Gone\n" });
    expect(run.exitCode).toBe(1);
    const body = ours()[0]?.body ?? "";
    expect(body).toContain("| <code>patch</code> input | Gone |  | failed |  |");
    expect(body).toContain("1 connection: 1 failed.");
    expect(body).toContain("99999999&#45;8888&#45;7777&#45;6666&#45;555555555555");
  });

  it("on any other event, comment: true does nothing and says so at debug level", async () => {
    const run = await step({ event: "push" });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(github.requests).toEqual([]);
    expect(run.commands.filter((c) => c.command === "debug").map((c) => c.message)).toContain(
      "comment: true does nothing on a push event; only pull_request and pull_request_target.",
    );
  });

  it("GitHub out of reach is a warning, and the step passes", async () => {
    const closed = await GitHubStandIn.start();
    await closed.close();
    const run = await runAction({
      inputs: {
        "connection-id": OPENAI,
        patch: ROTATE,
        "dry-run": "true",
        comment: "true",
        "github-token": GITHUB_TOKEN,
      },
      env: {
        GITHUB_API_URL: closed.url,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_EVENT_NAME: "pull_request",
        GITHUB_WORKFLOW: "w",
        GITHUB_JOB: "j",
      },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(warnings(run)).toEqual([
      "Could not comment on pull request #7: GitHub could not be reached. The plan is in the job summary.",
    ]);
  });

  it("an event payload without a pull request number is a warning, not a failure", async () => {
    const odd = join(folder, "odd-event.json");
    writeFileSync(odd, JSON.stringify({ action: "opened" }));
    const run = await runAction({
      inputs: { "connection-id": OPENAI, patch: ROTATE, "dry-run": "true", comment: "true", "github-token": "x" },
      env: { GITHUB_API_URL: github.url, GITHUB_EVENT_PATH: odd, GITHUB_EVENT_NAME: "pull_request" },
    });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(github.requests).toEqual([]);
    expect(warnings(run)).toEqual([
      "Could not comment: the event payload (GITHUB_EVENT_PATH) names no pull request, or GITHUB_REPOSITORY is not owner/name. The plan is in the job summary.",
    ]);
  });

  it("comment: false (the default) sends nothing to GitHub", async () => {
    const run = await step({ inputs: { comment: "" } });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(github.requests).toEqual([]);
  });

  it("pull_request_target comments as pull_request does", async () => {
    const run = await step({ event: "pull_request_target" });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(ours()).toHaveLength(1);
  });
});

describe("what reaches GitHub", () => {
  it("a plan larger than a comment can hold is cut at a connection boundary, with a link to the run", async () => {
    // The largest plan one connection gives: an HTTP connection with 2,000 headers (2,000 fields).
    const headers = Array.from(
      { length: 2000 },
      (_, index) => `      - {name: X-Header-${index}, value: "value-${index}-<&>"}`,
    );
    const patch = [
      "integration:",
      "  type: HTTP",
      "  credentials:",
      "    type: HTTPTokenAuth",
      "    headers:",
      ...headers,
      "",
    ].join("\n");
    const run = await step({ id: HTTP, patch });
    expect(run.exitCode, run.maskedLog).toBe(0);
    expect(run.summary.length).toBeGreaterThan(65_536);
    const body = ours()[0]?.body ?? "";
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain(
      "| would update | <code>integration&#46;credentials&#46;headers&#91;X&#45;Header&#45;0&#93;</code>",
    );
    expect(body).toContain(", and 1994 more |");
    expect(body).toContain(`\nThe details of 1 more connection: see [the job summary](${RUN_URL}).\n`);
    expect(body).not.toContain("<details>");
  });

  it("a name with markup and @mentions stays inert: the exact body GitHub receives", async () => {
    const name =
      "Pay <img src=x onerror=alert(1)> ## [Approve](https://evil.example) @acme/security-team @octocat #1 **b**";
    const run = await step({ patch: `name: ${JSON.stringify(name)}\ntags: ["team:payments", "owner:@acme/ops"]\n` });
    expect(run.exitCode, run.maskedLog).toBe(0);
    const post = github.requests.find((request) => request.method === "POST");
    const body = (JSON.parse(post?.body ?? "{}") as { body: string }).body;
    expect(body).toBe(expectedMarkupBody(new URL(sim.url).port));
  });

  it("no secret reaches GitHub in any form: plain, JSON-escaped, URL-encoded, base64", async () => {
    const token = 'tok-9f8e7d6c5b4a "q" <b>&amp; é\\n';
    const bearer = "Bearer 1a2b3c4d5e6f7a8b9c0d";
    const parameter = "p@ss/w0rd+key=value%41";
    // The name repeats a secret (a paste gone wrong): only the scrub before escaping can catch it.
    const patch = [
      `name: ${JSON.stringify(`Payments ${bearer}`)}`,
      "integration:",
      "  type: HTTP",
      "  credentials:",
      "    type: HTTPTokenAuth",
      `    tokens: [{name: api_token, type: SECRET, value: ${JSON.stringify(token)}}]`,
      `    headers: [{name: Authorization, value: ${JSON.stringify(bearer)}}, {name: X-Api-Version, value: "2024-06-01"}]`,
      `    url_parameters: [{name: api_key, value: ${JSON.stringify(parameter)}}]`,
      "",
    ].join("\n");
    // A 500 whose message quotes the secrets back: the warning must not carry them either.
    github.answerNext({ method: "POST", status: 500, body: { message: `bad ${token} ${bearer}` } });
    await step({ id: HTTP, patch });
    await step({ id: HTTP, patch, dryRun: false });
    const secrets = [token, bearer, parameter, SIM_API_KEY, SIM_APP_KEY];
    const forms = [...new Set(secrets.flatMap((secret) => [...maskForms(secret), ...readableForms(secret)]))].filter(
      (form) => form.length >= 6,
    );
    const seen = github.requests.map((request) => `${request.url}\n${request.body}`).join("\n");
    expect(github.requests.filter((request) => request.method !== "GET")).toHaveLength(2);
    expect(forms.filter((form) => seen.includes(form))).toEqual([]);
    expect(seen).toContain("•••• will be written");
    expect(seen).toContain("•••• written");
    expect(seen).toContain("| Payments •••• | HTTP |");
  });
});

/** Every character of the name that Markdown, HTML or GitHub's mention filter reads is an entity; @ and # are followed by a zero-width space. */
function expectedMarkupBody(port: string): string {
  const name = NAME_AS_TEXT;
  return [
    "<!-- update-datadog-action-connection 306746f11eccbcc968a3f306c52631c5 workflow=Datadog connections job=check connection-id -->",
    "### Datadog connections: plan (dry run, nothing sent)",
    "",
    `Site <code>127&#46;0&#46;0&#46;1&#58;${port} &#40;api&#45;url&#41;</code>. 1 connection: 1 would update.`,
    "",
    "| File | Name | Integration | Status | What changes |",
    "| --- | --- | --- | --- | --- |",
    // A dry run with keys reads the connection: its integration and current values are known.
    `| <code>patch</code> input | ${name} | OpenAI | would update | <code>name</code>, <code>tags</code> |`,
    "",
    `<details><summary>${name} (<code>a50e6e59&#45;258f&#45;497f&#45;a77f&#45;9283d7232920</code>): would update</summary>`,
    "",
    "| Field | Current → desired |",
    "| --- | --- |",
    `| <code>name</code> | <code>OpenAI &#40;OpenAIAPIKey&#41;</code> → <code>${name}</code> |`,
    "| <code>tags</code> | <code>team&#58;platform</code> → <code>team&#58;payments&#44; owner&#58;&#64;&#8203;acme&#47;ops</code> |",
    "",
    "</details>",
    "",
    `[Workflow run](${RUN_URL})`,
    "",
  ].join("\n");
}

const NAME_AS_TEXT =
  "Pay &#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62; &#35;&#8203;&#35;&#8203; &#91;Approve&#93;&#40;https&#58;&#47;&#47;evil&#46;example&#41; &#64;&#8203;acme&#47;security&#45;team &#64;&#8203;octocat &#35;&#8203;1 &#42;&#42;b&#42;&#42;";
