/** `gemrelay deploy --help` and the README's Deploy section say the same thing, word for word. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { deployCommand } from "../../deploy/deploy-command.ts";
import { repositoryRoot } from "../../deploy/targets.ts";
import { runCli } from "./support.ts";

describe("gemrelay deploy --help", () => {
  it("prints the usage the README's Deploy section quotes", async () => {
    const cli = runCli(["deploy", "--help"], {});
    expect(await cli.exited).toBe(0);
    const help = cli.output().trimEnd();
    expect(help).toBe(`Usage: ${deployCommand.usage}`);
    const readme = readFileSync(path.join(repositoryRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Deploy\n"), readme.indexOf("\n## ", readme.indexOf("\n## Deploy\n") + 1));
    expect(section).toContain("```text\n$ npx gemrelay deploy --help\n" + help + "\n```");
  });

  it("is listed in the main help", async () => {
    const cli = runCli(["--help"], {});
    await cli.exited;
    expect(cli.output()).toMatch(/^ {2}deploy\s+build and deploy the chain/m);
  });
});
