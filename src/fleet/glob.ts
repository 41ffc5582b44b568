/**
 * The glob matcher of fleet mode, tinyglobby (picomatch and fdir). The build bundles it apart
 * (dist/glob.mjs) and the action loads it only for the connections input: a one-connection run, the
 * rotation at 3 a.m., does not compile it at every start.
 */
export { globSync } from "tinyglobby";
