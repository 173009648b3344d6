/** `npm start`: the self-host server on PORT (default 8787) with state under DATA_DIR (default ./data). */
import { startServer } from "./server.ts";

try {
  const server = await startServer(process.env);
  const stop = (signal: string) => {
    console.log(`${signal} received, shutting down`);
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
} catch (error) {
  console.error(`gemrelay failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
