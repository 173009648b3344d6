/**
 * A Store that keeps pool keys sealed (ENCRYPTION_KEY, see keys/sealing.ts) in the Store it
 * wraps, and hands them out in clear to the router. Everything that is not a pool key passes
 * through. Sealed keys are deterministic, so the wrapped Store's identity rules (no duplicates,
 * cooldowns and outcomes per key) keep working on the sealed text.
 *
 * Without a sealer it still guards against one mistake: keys sealed earlier while ENCRYPTION_KEY
 * is now missing (or different) are listed disabled instead of being sent to Gemini as keys.
 */
import { isSealed, KeySealer } from "../keys/sealing.ts";
import type { AccessKeyRecord, LoggedRequest, ResourceLimits, ResourceRecord, UsageBatch, UsageRetention, UsageRow } from "./records.ts";
import type { Cooldown, KeyOutcome, KeyStatus, PoolKey, PoolSnapshot, RestoreBatch, RestoreOutcome, Store } from "./store.ts";

/** Status reason of a stored key this instance cannot open. */
export const unreadableReason = "sealed with another ENCRYPTION_KEY (or none is set)";

/** The Store decorator; build it with {@link openSealedStore}. */
export class SealedStore implements Store {
  /** Clear key → stored form, and back; filled as keys are sealed or opened. */
  private readonly stored = new Map<string, string>();
  private readonly clear = new Map<string, string>();
  /** Stored forms this instance cannot open; they stand for themselves. */
  private readonly unreadable = new Set<string>();

  constructor(
    private readonly inner: Store,
    private readonly sealer: KeySealer | null,
  ) {}

  /** Seals keys the wrapped Store still holds in clear (written before ENCRYPTION_KEY was set). */
  async sealStoredKeys(): Promise<number> {
    if (this.sealer === null) return 0;
    let sealed = 0;
    for (const { key } of await this.inner.listKeys()) {
      if (isSealed(key)) continue;
      if (await this.inner.replaceKey(key, await this.seal(key))) sealed += 1;
    }
    return sealed;
  }

  async listKeys(): Promise<PoolKey[]> {
    return Promise.all((await this.inner.listKeys()).map((key) => this.openKey(key)));
  }

  async addKeys(keys: readonly string[], at: number): Promise<string[]> {
    return this.openAll(await this.inner.addKeys(await this.sealAll(keys), at));
  }

  async removeKeys(keys: readonly string[]): Promise<string[]> {
    return this.openAll(await this.inner.removeKeys(await this.sealAll(keys)));
  }

  async setKeyStatus(key: string, status: KeyStatus, reason: string | null): Promise<boolean> {
    return this.inner.setKeyStatus(await this.seal(key), status, reason);
  }

  async setKeysStatus(keys: readonly string[], status: KeyStatus, reason: string | null): Promise<string[]> {
    return this.openAll(await this.inner.setKeysStatus(await this.sealAll(keys), status, reason));
  }

  async replaceKey(from: string, to: string): Promise<boolean> {
    return this.inner.replaceKey(await this.seal(from), await this.seal(to));
  }

  async recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void> {
    return this.inner.recordOutcomes(await Promise.all(outcomes.map(async (outcome) => ({ ...outcome, key: await this.seal(outcome.key) }))));
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    return this.inner.setCooldown({ ...cooldown, key: await this.seal(cooldown.key) });
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    return this.openCooldowns(await this.inner.listCooldowns(now));
  }

  async clearCooldowns(key?: string): Promise<void> {
    return key === undefined ? this.inner.clearCooldowns() : this.inner.clearCooldowns(await this.seal(key));
  }

  async snapshot(now: number): Promise<PoolSnapshot> {
    const snapshot = await this.inner.snapshot(now);
    return {
      keys: await Promise.all(snapshot.keys.map((key) => this.openKey(key))),
      cooldowns: await this.openCooldowns(snapshot.cooldowns),
      takenAt: snapshot.takenAt,
    };
  }

  getSetting(name: string): Promise<string | null> {
    return this.inner.getSetting(name);
  }

  setSetting(name: string, value: string): Promise<void> {
    return this.inner.setSetting(name, value);
  }

  setSettingIfAbsent(name: string, value: string): Promise<string> {
    return this.inner.setSettingIfAbsent(name, value);
  }

  compareAndSetSetting(name: string, expected: string | null, value: string): Promise<boolean> {
    return this.inner.compareAndSetSetting(name, expected, value);
  }

  async restore(batch: RestoreBatch): Promise<RestoreOutcome> {
    const keys = await Promise.all(batch.keys.map(async (entry) => ({ ...entry, key: await this.seal(entry.key) })));
    const outcome = await this.inner.restore({ ...batch, keys });
    return { ...outcome, keysAdded: await this.openAll(outcome.keysAdded) };
  }

  addAccessKey(record: AccessKeyRecord): Promise<boolean> {
    return this.inner.addAccessKey(record);
  }

  listAccessKeys(): Promise<AccessKeyRecord[]> {
    return this.inner.listAccessKeys();
  }

  revokeAccessKey(id: string, at: number): Promise<boolean> {
    return this.inner.revokeAccessKey(id, at);
  }

  recordUsage(batch: UsageBatch): Promise<void> {
    return this.inner.recordUsage(batch);
  }

  listUsage(fromDay: string, toDay: string): Promise<UsageRow[]> {
    return this.inner.listUsage(fromDay, toDay);
  }

  listRequests(query: { limit: number; before?: number | null }): Promise<LoggedRequest[]> {
    return this.inner.listRequests(query);
  }

  pruneUsage(retention: UsageRetention): Promise<void> {
    return this.inner.pruneUsage(retention);
  }

  /** Resource records name a key by its id, never the key: nothing to seal. */
  putResource(record: ResourceRecord, limits: ResourceLimits): Promise<void> {
    return this.inner.putResource(record, limits);
  }

  getResource(name: string, now: number): Promise<ResourceRecord | null> {
    return this.inner.getResource(name, now);
  }

  deleteResource(name: string): Promise<boolean> {
    return this.inner.deleteResource(name);
  }

  /** The stored form of a clear key (cached: the hot path reports outcomes per attempt). */
  private async seal(key: string): Promise<string> {
    if (this.unreadable.has(key)) return key;
    let stored = this.stored.get(key);
    if (stored === undefined) {
      stored = this.sealer ? await this.sealer.seal(key) : key;
      this.remember(key, stored);
    }
    return stored;
  }

  /** The clear key of a stored form; unreadable ones stand for themselves. */
  private async open(stored: string): Promise<string> {
    const known = this.clear.get(stored);
    if (known !== undefined) return known;
    if (this.unreadable.has(stored)) return stored;
    if (!isSealed(stored)) return stored;
    try {
      if (this.sealer === null) throw new Error("no ENCRYPTION_KEY");
      const key = await this.sealer.open(stored);
      this.remember(key, stored);
      return key;
    } catch {
      this.unreadable.add(stored);
      return stored;
    }
  }

  private remember(key: string, stored: string): void {
    this.stored.set(key, stored);
    this.clear.set(stored, key);
  }

  private sealAll(keys: readonly string[]): Promise<string[]> {
    return Promise.all(keys.map((key) => this.seal(key)));
  }

  private openAll(stored: readonly string[]): Promise<string[]> {
    return Promise.all(stored.map((key) => this.open(key)));
  }

  private async openKey(key: PoolKey): Promise<PoolKey> {
    const clear = await this.open(key.key);
    if (this.unreadable.has(key.key)) return { ...key, status: "disabled", statusReason: unreadableReason };
    return { ...key, key: clear };
  }

  private openCooldowns(cooldowns: readonly Cooldown[]): Promise<Cooldown[]> {
    return Promise.all(cooldowns.map(async (cooldown) => ({ ...cooldown, key: await this.open(cooldown.key) })));
  }
}

/**
 * Wraps `inner` so pool keys are sealed with `encryptionKey` (or, without one, so that sealed
 * keys are never used) and seals the keys it still holds in clear.
 */
export async function openSealedStore(inner: Store, encryptionKey: string | undefined): Promise<SealedStore> {
  const store = new SealedStore(inner, encryptionKey ? await KeySealer.fromSecret(encryptionKey) : null);
  await store.sealStoredKeys();
  return store;
}
