/**
 * What the pull-request comment needs from @actions/github: its Octokit, with the REST methods and
 * pagination, GITHUB_API_URL as its base and the runner's proxy settings. The build bundles it apart
 * (dist/github.mjs) and the action loads it only to comment: Octokit and its REST routes would
 * otherwise be compiled at every start, for every run that never comments.
 */
export { getOctokit } from "@actions/github";
