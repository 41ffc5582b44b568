import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument, splitConnection, splitDocuments } from "../../src/fleet/documents.ts";
import { expandPatterns } from "../../src/fleet/patterns.ts";

const ID = "11111111-2222-3333-4444-555555555555";

describe("splitDocuments: a file's `---`-separated documents, with the line each starts on", () => {
  it("one document without a marker; several with; comments before the first are no document", () => {
    expect(splitDocuments(`id: ${ID}\nname: A\n`)).toEqual([{ text: `id: ${ID}\nname: A\n`, lineOffset: 0 }]);
    const parts = splitDocuments(`# fleet\n---\nid: a\n---\nid: b\nname: |\n  x\n  --- not a marker\n`);
    expect(parts.map((part) => part.lineOffset)).toEqual([1, 3]);
    expect(parts.map((part) => parseDocument(part).value)).toEqual([
      { id: "a" },
      { id: "b", name: "x\n--- not a marker\n" },
    ]);
  });

  it("positions are the file's: a problem in the second document points at its line", () => {
    const [, second] = splitDocuments(`id: a\n---\nid: b\nname: [unclosed\n`);
    const parsed = parseDocument(second as never);
    expect(parsed.locate(["id"])).toEqual({ line: 3, column: 1 });
    expect(parsed.problems[0]?.position.line).toBeGreaterThanOrEqual(4);
  });

  it("`--- ` with content on the marker's line keeps its columns", () => {
    const [part] = splitDocuments(`--- {id: a}\n`);
    const parsed = parseDocument(part as never);
    expect(parsed.value).toEqual({ id: "a" });
    expect(parsed.locate(["id"])).toEqual({ line: 1, column: 6 });
  });
});

describe("splitConnection: the checks a connection document has beyond a patch's", () => {
  it("takes the id (lower case) apart from the attributes", () => {
    expect(splitConnection({ id: ID.toUpperCase(), name: "A" })).toEqual({
      ok: true,
      id: ID,
      attributes: { name: "A" },
    });
  });

  it.each([
    [{ name: "A" }, [], "has no id; give the connection's UUID as id"],
    [{ id: "prod", name: "A" }, ["id"], "must be the connection's UUID, such as 11111111-2222-3333-4444-555555555555"],
    [{ id: ID }, [], "sets nothing; give a name, tags or integration settings beside the id"],
    [
      { id: ID, data: { type: "action_connection" } },
      ["data"],
      "is not taken in a connection file; write id, name, tags and integration at the top of the document",
    ],
  ])("refuses %j", (value, path, message) => {
    expect(splitConnection(value)).toEqual({ ok: false, problems: [{ path, message }] });
  });

  it("refuses generate_new_external_id, an act that would rotate on every release", () => {
    const split = splitConnection({
      id: ID,
      integration: { type: "AWS", credentials: { type: "AWSAssumeRole", generate_new_external_id: true } },
    });
    expect(split.ok).toBe(false);
    expect(!split.ok && split.problems[0]?.path).toEqual(["integration", "credentials", "generate_new_external_id"]);
    expect(!split.ok && split.problems[0]?.message).toMatch(/^is an act, not a setting.*one-connection mode/);
  });
});

describe("expandPatterns: the connections input → files", () => {
  const workspace = () => {
    const root = mkdtempSync(join(tmpdir(), "fleet-"));
    mkdirSync(join(root, "connections/prod"), { recursive: true });
    for (const file of ["connections/b.yml", "connections/a.yml", "connections/prod/c.yaml", "connections/skip.yml"]) {
      writeFileSync(join(root, file), "id: x\n");
    }
    return root;
  };

  it("globs, one a line, `!` to leave out, sorted by path", async () => {
    const root = workspace();
    expect(await expandPatterns("connections/**/*.yml\nconnections/**/*.yaml\n!connections/skip.yml\n", root)).toEqual([
      "connections/a.yml",
      "connections/b.yml",
      "connections/prod/c.yaml",
    ]);
  });

  it("refuses a pattern that matches nothing, by name", async () => {
    await expect(expandPatterns("connections/*.yml\nmissing/*.yml", workspace())).rejects.toThrow(
      'connections: the pattern on line 2, "missing/*.yml", matches no file in the workspace; check it, and that the repository is checked out',
    );
  });

  it("never quotes a line that does not read as a pattern: a secret pasted into the wrong input", async () => {
    await expect(expandPatterns("sk-proj-Zq9Xv7LmN4pQwRtY2sH8", workspace())).rejects.toThrow(
      "connections: the pattern on line 1 matches no file in the workspace; check it, and that the repository is checked out",
    );
  });

  it.each(["../secrets/*.yml", "/etc/*", "connections/../../x"])(
    "refuses %s, outside the workspace",
    async (pattern) => {
      await expect(expandPatterns(pattern, workspace())).rejects.toThrow(/reaches outside the workspace/);
    },
  );

  it("refuses a file that leads outside the workspace through a link", async () => {
    const root = workspace();
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    writeFileSync(join(outside, "x.yml"), "id: x\n");
    symlinkSync(join(outside, "x.yml"), join(root, "connections/link.yml"));
    await expect(expandPatterns("connections/*.yml", root)).rejects.toThrow(
      "connections: connections/link.yml leads outside the workspace through a link; give files inside the repository",
    );
  });
});
