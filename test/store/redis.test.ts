import { Redis } from "ioredis";
import { afterAll, beforeAll, describe } from "vitest";
import { RedisStore } from "../../relays/node/redis-store.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { describeStoreConformance } from "./conformance.ts";

let server: RedisServer;
const connections: Redis[] = [];
let namespace = 0;

describe("redis", () => {
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreConformance("redis", async () => {
    // One namespace per test on one server: tests never see each other's data.
    const prefix = `test${++namespace}`;
    let redis = new Redis(server.url);
    connections.push(redis);
    return {
      store: new RedisStore(redis, { prefix }),
      reopen: async () => {
        redis.disconnect();
        redis = new Redis(server.url);
        return new RedisStore(redis, { prefix });
      },
      close: async () => redis.disconnect(),
    };
  });
});
