/**
 * Loopback hosts: this machine. api-url may use http:// for one (nothing crosses a network), and a
 * request to one never goes through a proxy, whatever HTTP(S)_PROXY says, as curl and Go decide: a
 * proxy elsewhere cannot reach this machine's port, and the keys would cross it for nothing.
 */

/** `hostname` as a URL gives it (`localhost`, `127.0.0.1`, `[::1]`; 127.1 is already 127.0.0.1). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}
