/**
 * Datadog's 2xx answer → the connection it describes. An answer that is not one (not JSON, another
 * shape, another connection's id) is a Failure that says whether the update may have been applied.
 */
import type { Answer } from "./datadog/client.ts";
import { Failure } from "./failure.ts";
import { responseSchema, type UpdateResponse } from "./patch/schema.ts";
import { formatPath, valueAt } from "./paths.ts";

export function readAnswer(answer: Answer, id: string, sent: boolean): UpdateResponse {
  const applied = sent ? "; the update may have been applied. Check the connection in Datadog." : ".";
  const unexpected = (why: string) =>
    new Failure({
      title: "Unexpected answer from Datadog",
      message: `Datadog answered ${answer.status} ${why}${applied}`,
    });
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw unexpected("but not with JSON");
  }
  const result = responseSchema(valueAt(json, ["data", "attributes", "integration", "type"])).safeParse(json);
  if (!result.success) {
    const paths = [...new Set(result.error.issues.map((issue) => formatPath(issue.path)))].slice(0, 3).join(", ");
    throw unexpected(`but its body is not an action connection (${paths})`);
  }
  if (result.data.data.id.toLowerCase() !== id.toLowerCase()) {
    throw unexpected(`for another connection than ${id}`);
  }
  return result.data;
}
