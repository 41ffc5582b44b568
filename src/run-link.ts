/** A link back to the workflow run, from the @actions/github context. */
import { context } from "@actions/github";

export function workflowRunUrl(): string | undefined {
  const repository = process.env.GITHUB_REPOSITORY;
  if (!repository || !context.runId) return undefined;
  return `${context.serverUrl}/${repository}/actions/runs/${context.runId}`;
}
