/** One update against a simulator, as most end-to-end tests run it: the simulator's keys, its URL. */
import { SIM_API_KEY, SIM_APP_KEY, type Simulator } from "../simulator/server.ts";
import { type ActionRun, type RunOptions, runAction } from "./runner.ts";

export function updateOn(
  sim: Simulator,
  id: string,
  patch: string,
  options: Partial<RunOptions> = {},
): Promise<ActionRun> {
  return runAction({
    ...options,
    inputs: {
      "connection-id": id,
      patch,
      "api-url": sim.url,
      "api-key": SIM_API_KEY,
      "app-key": SIM_APP_KEY,
      ...options.inputs,
    },
  });
}

/** The messages of the error annotations, in order. */
export function errorMessages(run: ActionRun): string[] {
  return run.commands.filter((command) => command.command === "error").map((command) => command.message);
}
