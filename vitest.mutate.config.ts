import { defineConfig } from "vitest/config";

/** For npm run mutate (Stryker): the unit tests only, which import src/ directly and run in seconds. */
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
