/**
 * The tokens of a Live session, read from Google's server messages as they pass. Gemini Live
 * reports `usageMetadata` per turn, not per session: each turn's prompt count covers the whole
 * context so far (it grows turn by turn), and several messages of one turn may repeat the turn's
 * running count. So the session's usage is, per turn, the last `usageMetadata` seen before the
 * turn ended (`serverContent.turnComplete`, or a `toolCall`, after which the model waits for the
 * client), summed over the turns; a turn cut short by the end of the session counts what it
 * reported. https://ai.google.dev/api/live#UsageMetadata
 *
 * Cheap on the hot path: Google sends every message as a frame of JSON (binary frames included),
 * most of them audio or text chunks; a frame is parsed only when it names one of the three
 * fields, which a JSON string cannot fake (its quotes would be escaped).
 */
import { z } from "zod";
import type { UsageMetadata } from "../gemini/types.ts";
import type { LiveFrame } from "./socket.ts";

const count = z.number().int().nonnegative().optional();

/** The Live spelling (`responseTokenCount`) and Vertex's (`candidatesTokenCount`) both. */
const liveUsageSchema = z.looseObject({
  promptTokenCount: count,
  responseTokenCount: count,
  candidatesTokenCount: count,
  thoughtsTokenCount: count,
  cachedContentTokenCount: count,
  totalTokenCount: count,
});
type LiveUsage = z.infer<typeof liveUsageSchema>;

const serverMessageSchema = z.looseObject({
  usageMetadata: liveUsageSchema.optional(),
  serverContent: z.looseObject({ turnComplete: z.boolean().optional() }).optional(),
  toolCall: z.unknown().optional(),
});

const interesting = /"(?:usageMetadata|turnComplete|toolCall)"/;
const decoder = new TextDecoder();

/** Sums a session's usage over its turns (see the module comment). */
export class LiveUsageMeter {
  private readonly total = { prompt: 0, response: 0, thoughts: 0, cached: 0, all: 0 };
  /** The last usage of the turn under way. */
  private pending: LiveUsage | null = null;
  private turns = 0;

  /** Notes one frame from Google. */
  observe(frame: LiveFrame): void {
    const text = typeof frame === "string" ? frame : frame.byteLength > 0 && new Uint8Array(frame, 0, 1)[0] === 0x7b ? decoder.decode(frame) : null;
    if (text === null || !interesting.test(text)) return;
    let message: z.infer<typeof serverMessageSchema>;
    try {
      const parsed = serverMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return;
      message = parsed.data;
    } catch {
      return;
    }
    if (message.usageMetadata) this.pending = message.usageMetadata;
    if (message.serverContent?.turnComplete === true || message.toolCall !== undefined) this.endTurn();
  }

  /** The session's usage so far, in the generate path's shape (null when Google reported none). */
  usage(): UsageMetadata | null {
    this.endTurn();
    if (this.turns === 0) return null;
    return {
      promptTokenCount: this.total.prompt,
      candidatesTokenCount: this.total.response,
      thoughtsTokenCount: this.total.thoughts,
      cachedContentTokenCount: this.total.cached,
      totalTokenCount: this.total.all,
    };
  }

  private endTurn(): void {
    const usage = this.pending;
    if (usage === null) return;
    this.pending = null;
    this.turns += 1;
    const prompt = usage.promptTokenCount ?? 0;
    const response = usage.responseTokenCount ?? usage.candidatesTokenCount ?? 0;
    const thoughts = usage.thoughtsTokenCount ?? 0;
    this.total.prompt += prompt;
    this.total.response += response;
    this.total.thoughts += thoughts;
    this.total.cached += usage.cachedContentTokenCount ?? 0;
    this.total.all += usage.totalTokenCount ?? prompt + response + thoughts;
  }
}
