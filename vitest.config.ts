import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // End-to-end tests spawn the bundle; two cores run two files at a time well.
    maxWorkers: 2,
  },
});
