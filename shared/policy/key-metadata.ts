/**
 * Pool key metadata kept beside the keys (setting `keys.metadata`, by pool key id): an operator's
 * note, a weight for the `weighted` strategy, and the group (Google project) whose quota the key
 * shares, which budgets count by, and the egress the key is pinned to (routing/affinity.ts).
 */
import { z } from "zod";

/** Metadata of one key. */
export const keyMetadataSchema = z.strictObject({
  note: z.string().max(500, { message: "note must be at most 500 characters" }).optional(),
  weight: z.number({ message: "weight must be a number" }).positive({ message: "weight must be above 0" }).max(1_000).optional(),
  group: z.string().min(1, { message: "group must not be empty" }).max(100).optional(),
  /** Pin to one egress by its id as /status lists it (affinity: overrides the hashed home). */
  egress: z.string().min(1, { message: "egress must not be empty" }).max(300).optional(),
});
export type KeyMetadata = z.infer<typeof keyMetadataSchema>;

/** Pool key id → metadata. */
export const keyMetadataTableSchema = z.record(z.string().regex(/^[0-9a-f]{16}$/, { message: "keys are pool key ids (16 hex digits)" }), keyMetadataSchema);
export type KeyMetadataTable = z.infer<typeof keyMetadataTableSchema>;
