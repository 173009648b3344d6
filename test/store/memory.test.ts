import { MemoryStore } from "../../shared/store/memory.ts";
import { describeStoreConformance } from "./conformance.ts";

describeStoreConformance("memory", async () => ({ store: new MemoryStore(), close: async () => {} }), { persistent: false });
