#!/usr/bin/env node
// The `gunyah` command: a thin launcher for the compiled CLI (npm install builds it).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
