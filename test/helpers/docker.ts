/**
 * Building and running deploy/Dockerfile in tests, where a Docker engine answers. Base images
 * cannot be pulled here, so the image is built with `BASE_IMAGE`: the one named in the environment,
 * else `node:24-bookworm-slim` when the engine has it, else one made from Debian's packages
 * (`debootstrap` + `docker import`) with this machine's Node.js, its headers (better-sqlite3
 * compiles against them) and its trust store, cached as `gemrelay-test-base:local`.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dockerBaseImage } from "../../deploy/platforms.ts";
import { repositoryRoot } from "../../deploy/targets.ts";
import { temporaryDirectory } from "./process.ts";

/** Runs `docker …`; throws with its output when it fails. */
export function docker(args: string[], options: { timeoutMs?: number; input?: Buffer } = {}): string {
  // The classic builder: Debian's docker.io comes without buildx, and the context is staged anyway.
  const env = { ...process.env, DOCKER_BUILDKIT: "0" };
  const result: SpawnSyncReturns<Buffer> = spawnSync("docker", args, { env, timeout: options.timeoutMs ?? 120_000, input: options.input, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`docker ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout?.toString().slice(-2_000)}\n${result.stderr?.toString().slice(-2_000)}`);
  }
  return result.stdout.toString();
}

/** The engine's version, or why there is none. */
export function dockerEngine(): { version: string } | { missing: string } {
  const result = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 15_000 });
  if (result.error) return { missing: `no docker command (${result.error.message}); Debian: apt-get install -y docker.io` };
  if (result.status !== 0) return { missing: `docker info: ${result.stderr.toString().trim().split("\n").at(-1) ?? "no engine"} (start dockerd)` };
  return { version: result.stdout.toString().trim() };
}

const hasImage = (name: string) => spawnSync("docker", ["image", "inspect", name], { stdio: "ignore" }).status === 0;

/** Name of the cached base image made from Debian's packages. */
export const localBaseImage = "gemrelay-test-base:local";

/** The BASE_IMAGE to build with (see the module comment); builds the Debian one when needed (≈1-2 min). */
export function ensureBaseImage(): string {
  if (process.env.BASE_IMAGE) return process.env.BASE_IMAGE;
  if (hasImage(dockerBaseImage)) return dockerBaseImage;
  if (hasImage(localBaseImage)) return localBaseImage;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || spawnSync("debootstrap", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error(`no base image: set BASE_IMAGE, load ${dockerBaseImage}, or run as root with debootstrap installed (apt-get install -y debootstrap)`);
  }
  const rootfs = temporaryDirectory("gemrelay-rootfs-");
  try {
    const bootstrap = spawnSync("debootstrap", ["--variant=minbase", "--include=ca-certificates,libstdc++6,python3,make,g++", "bookworm", rootfs, "http://deb.debian.org/debian"], { timeout: 600_000 });
    if (bootstrap.status !== 0) throw new Error(`debootstrap failed:\n${bootstrap.stderr.toString().slice(-2_000)}`);
    // This machine's Node.js and npm (the Debian archive has no Node 24), with headers for node-gyp.
    const npmRoot = path.join(path.dirname(path.dirname(process.execPath)), "lib/node_modules/npm");
    mkdirSync(path.join(rootfs, "usr/local/bin"), { recursive: true });
    mkdirSync(path.join(rootfs, "usr/local/lib/node_modules"), { recursive: true });
    cpSync(process.execPath, path.join(rootfs, "usr/local/bin/node"));
    cpSync(npmRoot, path.join(rootfs, "usr/local/lib/node_modules/npm"), { recursive: true });
    const headers = ["/usr/include/node", path.join(path.dirname(path.dirname(process.execPath)), "include/node")].find((folder) => existsSync(folder));
    if (headers) cpSync(headers, path.join(rootfs, "usr/local/include/node"), { recursive: true });
    // The trust store of this machine, so npm inside the build reaches the registry as npm here does.
    writeFileSync(path.join(rootfs, "etc/ssl/certs/ca-certificates.crt"), readFileSync("/etc/ssl/certs/ca-certificates.crt"));
    const script = ["ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm", "ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx", "useradd -m -u 1000 -s /bin/sh node"].join(" && ");
    const setup = spawnSync("chroot", [rootfs, "/bin/sh", "-c", script]);
    if (setup.status !== 0) throw new Error(`base image setup failed: ${setup.stderr.toString()}`);
    const tar = spawnSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 4 * 1024 * 1024 * 1024 });
    docker(
      [
        "import",
        "--change", "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
        "--change", "ENV npm_config_nodedir=/usr/local",
        "-", localBaseImage,
      ],
      { input: tar.stdout, timeoutMs: 300_000 },
    );
    return localBaseImage;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/**
 * Builds deploy/Dockerfile from the repository's files (tracked and untracked, minus ignored
 * ones) with its ignore file as the context's `.dockerignore`, so that the builder without
 * BuildKit honours it too.
 */
export function buildImage(tag: string, baseImage: string): void {
  const context = temporaryDirectory("gemrelay-docker-context-");
  try {
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repositoryRoot });
    for (const file of listed.stdout.toString().split("\0").filter(Boolean)) {
      const source = path.join(repositoryRoot, file);
      if (!existsSync(source)) continue;
      mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
      cpSync(source, path.join(context, file));
    }
    cpSync(path.join(repositoryRoot, "deploy/Dockerfile.dockerignore"), path.join(context, ".dockerignore"));
    docker(["build", "--network", "host", "-f", "deploy/Dockerfile", "--build-arg", `BASE_IMAGE=${baseImage}`, "-t", tag, context], { timeoutMs: 900_000 });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
