import { run } from "./main.ts";

// Not a top-level await: the bundle is CommonJS (it starts faster than a module; see scripts/build.ts).
void run();
