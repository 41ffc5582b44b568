/**
 * Datadog's 2xx answer → the connection it describes. A 2xx to a PATCH means the update was applied:
 * when its body cannot be read (not JSON, too deep, another shape) the Failure says so (outcome
 * "updated"), and with a generated external ID says to read it in Datadog rather than run again,
 * which would rotate it again. An answer for another connection is not this update's (outcome
 * "unknown": it may have been applied to either).
 */
import type { Answer } from "./datadog/client.ts";
import { MAX_DEPTH, tooDeepAt } from "./depth.ts";
import { Failure } from "./failure.ts";
import { responseSchema, type UpdateResponse } from "./patch/schema.ts";
import { formatPath, valueAt } from "./paths.ts";
import { collapseSpace } from "./text.ts";

/** `sent`: the answer to the PATCH (else to the GET of a plan); `rotated`: it asked for a new external ID. */
export function readAnswer(answer: Answer, id: string, sent: boolean, rotated = false): UpdateResponse {
  const { status } = answer;
  const unreadable = (why: string): Failure => {
    if (!sent) {
      return new Failure({
        title: "Unexpected answer from Datadog",
        message: `Datadog answered ${status} to the read of connection ${id}, but ${why}; nothing was sent. Check the connection in Datadog.`,
      });
    }
    return appliedButUnreadable(status, rotated, why);
  };
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw unreadable("the answer is not JSON");
  }
  const deep = tooDeepAt(json);
  if (deep) {
    throw unreadable(
      `its answer nests deeper than ${MAX_DEPTH} levels (under ${formatPath(deep.slice(0, 3))}), which the action does not read`,
    );
  }
  const answeredId = valueAt(json, ["data", "id"]);
  if (typeof answeredId === "string" && answeredId.toLowerCase() !== id.toLowerCase()) {
    const shown = JSON.stringify(collapseSpace(answeredId).slice(0, 64));
    throw new Failure(
      {
        title: "Unexpected answer from Datadog",
        message: sent
          ? `Datadog answered ${status} for connection ${shown}, not ${id} that was sent; the update may have been applied to either. No output is set; check both connections in Datadog.`
          : `Datadog answered ${status} to the read of connection ${id} with connection ${shown}; nothing was sent. Check the connection in Datadog.`,
      },
      sent ? "unknown" : "not-updated",
    );
  }
  const result = responseSchema(valueAt(json, ["data", "attributes", "integration", "type"])).safeParse(json);
  if (!result.success) {
    const paths = [...new Set(result.error.issues.map((issue) => formatPath(issue.path)))].slice(0, 3).join(", ");
    throw unreadable(`its body is not an action connection (${paths})`);
  }
  return result.data;
}

/** A 2xx answer to the PATCH that cannot be read: the update was applied, and the message says so. */
export function appliedButUnreadable(status: number, rotated: boolean, why: string): Failure {
  const rotation = rotated
    ? " A new external ID was generated: read it in Datadog (the connection's page), do not run this step again, which would rotate it again."
    : "";
  return new Failure(
    {
      title: "Unexpected answer from Datadog",
      message:
        `Datadog answered ${status}: the update was applied, but ${why}. Only the connection-id output is set; ` +
        `check the connection in Datadog.${rotation}`,
    },
    "updated",
  );
}
