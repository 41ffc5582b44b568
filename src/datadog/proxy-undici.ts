/**
 * What the proxy route needs from npm undici. The build bundles it apart (dist/proxy.mjs) and the
 * action loads it only when a proxy applies: undici alone is larger than the rest of the action.
 */
export { fetch, ProxyAgent } from "undici";
