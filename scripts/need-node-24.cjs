// Runs first in the npm scripts that start .ts files: Node older than 24 cannot strip types and would
// stop with ERR_UNKNOWN_FILE_EXTENSION ".ts", which says nothing of the cause. CommonJS, with no syntax
// newer than Node 6's, so that any Node still in use can read it.
"use strict";
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  const event = process.env.npm_lifecycle_event;
  const command = event === "test" ? "npm test" : event ? `npm run ${event}` : "This command";
  process.stderr.write(
    `${command} needs Node 24 (this is Node ${process.versions.node}): install it (nvm install 24, or nodejs.org), ` +
      "or run bash .ci/run, which installs it into .ci/cache/ and runs npm ci and npm test.\n",
  );
  process.exit(1);
}
