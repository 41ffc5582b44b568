import { describe, expect, it } from "vitest";
import { commentMarker } from "../../src/comment.ts";
import { renderReport } from "../../src/render.ts";
import type { ConnectionResult } from "../../src/result.ts";
import { stableUuid } from "../fixtures.ts";
import { decodeEntities } from "../harness/runner.ts";

const RUN = "https://github.com/acme/platform/actions/runs/42";

function httpResult(index: number, headers = 3): ConnectionResult {
  return {
    file: `.datadog/connections/service-${String(index).padStart(3, "0")}.yml`,
    line: 1,
    id: stableUuid(`connection ${index}`),
    name: `Service ${index}`,
    integrationType: "HTTP",
    externalId: "",
    status: "would-update",
    fields: [
      { path: "tags", secret: false, current: "team:old", desired: "team:payments", differs: true },
      {
        path: "integration.base_url",
        secret: false,
        current: "https://a.example",
        desired: "https://a.example",
        differs: false,
      },
      { path: "integration.credentials.tokens[api_token]", secret: true, desired: "", differs: true },
      ...Array.from({ length: headers }, (_, at) => ({
        path: `integration.credentials.headers[X-Header-${at}]`,
        secret: false,
        current: `old-${at}`,
        desired: `new-${at}`,
        differs: true,
      })),
    ],
  };
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

describe("renderReport", () => {
  it("shows a table of every connection, then each one's fields as current → desired, secrets as ••••", () => {
    const text = renderReport({ dryRun: true, site: "datadoghq.com", results: [httpResult(1, 1)], runUrl: RUN });
    expect(text).toBe(
      [
        "### Datadog connections: plan (dry run, nothing sent)",
        "",
        "Site <code>datadoghq&#46;com</code>. 1 connection: 1 would update.",
        "",
        "| File | Name | Integration | Status | What changes |",
        "| --- | --- | --- | --- | --- |",
        "| <code>&#46;datadog&#47;connections&#47;service&#45;001&#46;yml</code> | Service 1 | HTTP | would update | <code>tags</code>, <code>integration&#46;credentials&#46;tokens&#91;api&#95;token&#93;</code> ••••, <code>integration&#46;credentials&#46;headers&#91;X&#45;Header&#45;0&#93;</code> |",
        "",
        `<details><summary>Service 1 (<code>${httpResult(1).id.replaceAll("-", "&#45;")}</code>): would update</summary>`,
        "",
        "| Field | Current → desired |",
        "| --- | --- |",
        "| <code>tags</code> | <code>team&#58;old</code> → <code>team&#58;payments</code> |",
        "| <code>integration&#46;base&#95;url</code> | <code>https&#58;&#47;&#47;a&#46;example</code> (unchanged) |",
        "| <code>integration&#46;credentials&#46;tokens&#91;api&#95;token&#93;</code> | •••• will be written |",
        "| <code>integration&#46;credentials&#46;headers&#91;X&#45;Header&#45;0&#93;</code> | <code>old&#45;0</code> → <code>new&#45;0</code> |",
        "",
        "</details>",
        "",
        `[Workflow run](${RUN})`,
        "",
      ].join("\n"),
    );
  });

  it("without the current state, says only what would be set, or was", () => {
    const unread = {
      ...httpResult(1, 0),
      fields: [{ path: "name", secret: false, desired: "Payments", differs: true }],
    };
    const plan = renderReport({ dryRun: true, site: "datadoghq.com", results: [unread], runUrl: RUN });
    expect(plan).toContain("| Field | Would set |\n| --- | --- |\n| <code>name</code> | <code>Payments</code> |\n");
    const applied = renderReport({ dryRun: false, site: "datadoghq.com", results: [unread], runUrl: RUN });
    expect(applied).toContain("| Field | Set |\n");
  });

  it("says when nothing is to change, in a dry run and after an apply", () => {
    const unchanged = { ...httpResult(1), status: "unchanged" as const, fields: [] };
    const plan = renderReport({ dryRun: true, site: "datadoghq.com", results: [unchanged, unchanged], runUrl: RUN });
    expect(plan).toContain("Nothing to change: 2 connections, each as its file says in Datadog.");
    const applied = renderReport({ dryRun: false, site: "datadoghq.com", results: [unchanged], runUrl: RUN });
    expect(applied).toContain("### Datadog connections: applied");
    expect(applied).toContain("Nothing changed: 1 connection, each already as its file says in Datadog.");
    expect(applied).toContain("| unchanged (not sent) | nothing |");
  });

  it("after an apply, says secrets were written and counts each status", () => {
    const updated = { ...httpResult(1, 0), status: "updated" as const };
    const failed: ConnectionResult = {
      ...httpResult(2, 0),
      status: "failed",
      message: "Datadog answered 404: connection not found",
    };
    const text = renderReport({ dryRun: false, site: "datadoghq.eu", results: [updated, failed], runUrl: RUN });
    expect(text).toContain("2 connections: 1 updated, 1 failed.");
    expect(text).toContain("| •••• written |");
    expect(text).toContain("| Field | Current → desired |");
    expect(text).toContain("Datadog answered 404&#58; connection not found");
  });

  it("renders hostile text as text: no tag, no link, no heading, no mention, no issue reference", () => {
    const hostile = {
      ...httpResult(1, 0),
      name: "Prod\n\n![s](https://evil.example/p.png)\n\n## <img src=x> @acme/security @octocat #12 | x",
    };
    const text = renderReport({ dryRun: true, site: "datadoghq.com", results: [hostile], runUrl: RUN });
    const name =
      "Prod<br><br>&#33;&#91;s&#93;&#40;https&#58;&#47;&#47;evil&#46;example&#47;p&#46;png&#41;<br><br>&#35;&#8203;&#35;&#8203; &#60;img src&#61;x&#62; &#64;&#8203;acme&#47;security &#64;&#8203;octocat &#35;&#8203;12 &#124; x";
    expect(text).toContain(`| ${name} | HTTP |`);
    expect(text).not.toMatch(/<img|\]\(https:\/\/evil|\n## /);
    // What GitHub's mention and reference filters read: the text with entities decoded.
    const shown = decodeEntities(text);
    expect(shown).toContain("@\u200bacme/security @\u200boctocat #\u200b12");
    expect(shown).not.toMatch(/@acme|@octocat|#12/);
  });

  it("scrubs registered secrets before escaping, wherever outside text stands", () => {
    const leaky = { ...httpResult(1, 0), name: "key sk-live-0123456789 <x>", message: "echo sk-live-0123456789" };
    const text = renderReport(
      { dryRun: true, site: "datadoghq.com", results: [leaky], runUrl: RUN },
      {
        maxBytes: 65_536,
        moreWhere: "the job summary",
        scrub: (value) => value.replaceAll("sk-live-0123456789", "••••"),
      },
    );
    expect(text).not.toContain("0123456789");
    expect(text).toContain("key •••• &#60;x&#62;");
  });

  it("cuts a plan larger than the budget at a connection boundary, saying how many are left and where", () => {
    const results = Array.from({ length: 400 }, (_, index) => httpResult(index + 1, 4));
    const report = { dryRun: true, site: "datadoghq.com", results, runUrl: RUN };
    const whole = renderReport(report);
    expect(bytes(whole)).toBeGreaterThan(65_536);
    const text = renderReport(report, { maxBytes: 65_536, moreWhere: "the job summary", moreUrl: RUN });
    expect(bytes(text)).toBeLessThanOrEqual(65_536);
    const rows = text.split("\n").filter((line) => line.startsWith("| <code>&#46;datadog"));
    const details = text.split("\n").filter((line) => line.startsWith("<details>"));
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.length).toBeLessThan(400);
    // Whole connections only: each row and each details block complete, in file order.
    expect(rows).toEqual(
      whole
        .split("\n")
        .filter((line) => line.startsWith("| <code>&#46;datadog"))
        .slice(0, rows.length),
    );
    expect(text.split("<details>").length - 1).toBe(text.split("</details>").length - 1);
    expect(text).toContain(`\n${400 - rows.length} more connections: see [the job summary](${RUN}).\n`);
    expect(text).toContain(
      `\nThe details of ${rows.length - details.length} more connections: see [the job summary](${RUN}).\n`,
    );
    expect(text.endsWith(`[Workflow run](${RUN})\n`)).toBe(true);
  });

  it("keeps the row of a connection whose details alone pass the budget", () => {
    const huge = httpResult(1, 3000);
    const text = renderReport(
      { dryRun: true, site: "datadoghq.com", results: [huge], runUrl: RUN },
      { maxBytes: 65_536, moreWhere: "the job summary", moreUrl: RUN },
    );
    expect(bytes(text)).toBeLessThanOrEqual(65_536);
    expect(text).toContain("| Service 1 | HTTP | would update |");
    expect(text).toContain(", and 2996 more |");
    expect(text).toContain(`The details of 1 more connection: see [the job summary](${RUN}).`);
    expect(text).not.toContain("<details>");
  });

  it("stays whole when it fits", () => {
    const results = Array.from({ length: 5 }, (_, index) => httpResult(index + 1));
    const report = { dryRun: true, site: "datadoghq.com", results, runUrl: RUN };
    expect(renderReport(report, { maxBytes: 65_536, moreWhere: "the job summary" })).toBe(renderReport(report));
    expect(renderReport(report)).not.toContain("more connection");
  });
});

describe("commentMarker", () => {
  const subject = { input: "connection-id" as const, value: "11111111-2222-3333-4444-555555555555" };

  it("is one HTML comment whatever the names hold", () => {
    for (const name of ["a --> <b>x</b>", "--!>", "-", "x\n-->\n", "\ud800 é 😀 %41"]) {
      const marker = commentMarker(name, name, subject);
      expect(marker.startsWith("<!-- update-datadog-action-connection ")).toBe(true);
      expect(marker.endsWith(" -->")).toBe(true);
      const inner = marker.slice(4, -3);
      expect(inner).not.toMatch(/--|>|<|\n/);
    }
  });

  it("differs for another job, workflow or connection, and is stable for the same", () => {
    const marker = commentMarker("Datadog connections", "check", subject);
    expect(commentMarker("Datadog connections", "check", { ...subject })).toBe(marker);
    expect(commentMarker("Datadog connections", "check-eu", subject)).not.toBe(marker);
    expect(commentMarker("Other", "check", subject)).not.toBe(marker);
    expect(commentMarker("Datadog connections", "check", { ...subject, value: stableUuid("other") })).not.toBe(marker);
    expect(commentMarker("Datadog connections", "check", { input: "connections", value: subject.value })).not.toBe(
      marker,
    );
    expect(marker).toMatch(
      /^<!-- update-datadog-action-connection [0-9a-f]{32} workflow=Datadog connections job=check connection-id -->$/,
    );
  });
});
