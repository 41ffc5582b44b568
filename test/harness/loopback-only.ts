/**
 * Preloaded into the action's process by tests that name a real Datadog site but must reach nothing
 * beyond 127.0.0.1 (`env: loopbackOnly(logFile)`): a connection to any other host is refused before
 * its DNS lookup, as if nothing listened there, and its `host:port` is appended to the log file. A
 * test then asserts the file stayed empty.
 */
import { appendFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";

/** The variables that preload this guard into a child and name its log file. */
export function loopbackOnly(logFile: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${fileURLToPath(import.meta.url)}`, LOOPBACK_ONLY_LOG: logFile };
}

const log = process.env.LOOPBACK_ONLY_LOG;
if (log) {
  const connect = net.Socket.prototype.connect;
  // connect(options, cb), connect(path, cb), connect(port, host, cb), or net.connect's normalized [options, cb].
  net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const options = (first && typeof first === "object" ? first : {}) as {
      host?: unknown;
      port?: unknown;
      path?: unknown;
    };
    const pipe = typeof options.path === "string" || (typeof first === "string" && !/^\d+$/.test(first));
    const host = String(options.host ?? (typeof args[1] === "string" ? args[1] : "localhost"));
    if (!pipe && !/^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/.test(host)) {
      appendFileSync(log, `${host}:${String(options.port ?? first)}\n`);
      const refused = Object.assign(new Error("connect ECONNREFUSED (loopback-only test)"), { code: "ECONNREFUSED" });
      process.nextTick(() => this.destroy(refused));
      return this;
    }
    return (connect as (...rest: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
}
