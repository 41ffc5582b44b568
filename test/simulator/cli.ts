/**
 * Starts the simulator from the shell:
 *
 *   node test/simulator/cli.ts [--port N] [--limit N] [--period SECONDS]
 *
 * prints one line `{"url":"http://127.0.0.1:PORT","apiKey":"...","appKey":"..."}` and serves until
 * SIGINT or SIGTERM.
 */
import { parseArgs } from "node:util";
import { SIM_API_KEY, SIM_APP_KEY, Simulator, type SimulatorOptions } from "./server.ts";

const USAGE = "usage: node test/simulator/cli.ts [--port N] [--limit N] [--period SECONDS]";

function whole(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > 65_535 * 1000) {
    console.error(`--${name} must be a whole number of at least ${min}\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

let values: { port?: string; limit?: string; period?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      port: { type: "string" },
      limit: { type: "string" },
      period: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = whole("port", values.port, 0);
if (port !== undefined && port > 65_535) {
  console.error(`--port must be at most 65535\n${USAGE}`);
  process.exit(2);
}
const limit = whole("limit", values.limit, 1);
const period = whole("period", values.period, 1);
const options: SimulatorOptions = {
  ...(port !== undefined ? { port } : {}),
  ...(limit !== undefined || period !== undefined
    ? { rateLimit: { limit: limit ?? 1000, period: period ?? 60, name: "action_connections" } }
    : {}),
};

const simulator = await Simulator.start(options);
console.log(JSON.stringify({ url: simulator.url, apiKey: SIM_API_KEY, appKey: SIM_APP_KEY }));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await simulator.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
