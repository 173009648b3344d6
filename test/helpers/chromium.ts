/**
 * Which Chromium the browser suite drives: the system's (Debian's `chromium` package) when it is
 * installed, else the one `@sparticuz/chromium` ships inside its npm package (a devDependency; its
 * binary is unpacked to the temporary folder on first use), so a machine that has only run
 * `npm install` runs the suite too. CHROMIUM_PATH names another binary, or `@sparticuz/chromium`
 * to use the packaged one even where the system has its own.
 */
import { existsSync } from "node:fs";

/** A Chromium binary and the extra arguments it needs. */
export interface ChromiumBinary {
  executablePath: string;
  args: string[];
  /** Where it came from, for messages. */
  source: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
}

const systemPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** The Chromium to launch; throws one line saying what to install when there is none. */
export async function findChromium(): Promise<ChromiumBinary> {
  const given = process.env.CHROMIUM_PATH;
  const packagedOnly = given === "@sparticuz/chromium";
  if (given && !packagedOnly) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return { executablePath: given, args: [], source: "CHROMIUM_PATH" };
  }
  const system = packagedOnly ? undefined : systemPaths.find((file) => existsSync(file));
  if (system) return { executablePath: system, args: [], source: "system" };
  try {
    const { default: packaged } = await import("@sparticuz/chromium");
    // Its own argument list is for Lambda (single process, no zygote); it runs headless here too.
    return { executablePath: await packaged.executablePath(), args: packaged.args, source: "@sparticuz/chromium" };
  } catch (error) {
    throw new Error(`no Chromium: install Debian's chromium (apt-get install -y chromium) or run npm install for @sparticuz/chromium (${error instanceof Error ? error.message : String(error)})`);
  }
}
