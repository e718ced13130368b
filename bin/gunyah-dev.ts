// The `gunyah` command from the TypeScript sources (no build): tests and .ci/run use
// it with `node --import tsx bin/gunyah-dev.ts <args>`; users run bin/gunyah.js.
import { main } from "../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
globalThis.setTimeout(() => process.exit(), 2000).unref();
