#!/usr/bin/env node
// The `gemrelay` command (package.json "bin"). The CLI is TypeScript run through tsx's ESM
// loader, so `npx gemrelay …` works from a clone without a compile step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli.ts");
process.exit(await main(process.argv.slice(2)));
