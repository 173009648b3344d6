/**
 * The last step of a deploy: one real request through the deployed chain (client → worker →
 * relay → Gemini) with the first client access key, proving keys, hop secret and relay URLs were
 * wired correctly. Retries for a short while, because a fresh worker version and fresh secrets
 * take a few seconds to reach every Cloudflare location.
 */
import { z } from "zod";

/** Default model of the check: the cheapest current one. */
export const defaultCheckModel = "gemini-2.5-flash-lite";

/** What the check saw. */
export interface ChainCheck {
  ok: boolean;
  status: number;
  elapsedMs: number;
  /** The answer's text (shortened), or the error. */
  detail: string;
}

const answer = z.object({
  candidates: z
    .array(z.object({ content: z.object({ parts: z.array(z.object({ text: z.string().optional() })).optional() }).optional() }))
    .optional(),
});

function answerText(body: string): string {
  try {
    const parsed = answer.safeParse(JSON.parse(body));
    if (parsed.success) {
      const text = (parsed.data.candidates?.[0]?.content?.parts ?? []).map((part) => part.text ?? "").join("").trim();
      if (text) return text;
    }
  } catch {
    // Not JSON: shown as is below.
  }
  return body.trim();
}

function shorten(text: string, length = 80): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/**
 * POSTs `generateContent` for `model` to the worker with `accessKey`, until it answers 200 or
 * `timeoutMs` passes (`retry: false`: once).
 */
export async function checkChain(workerUrl: string, accessKey: string, model: string, timeoutMs: number, options: { retry?: boolean } = {}): Promise<ChainCheck> {
  const deadline = Date.now() + timeoutMs;
  const url = `${workerUrl}/v1beta/models/${encodeURIComponent(model)}:generateContent`;
  let last: ChainCheck = { ok: false, status: 0, elapsedMs: 0, detail: "no answer" };
  for (;;) {
    const started = Date.now();
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "Reply with the single word: pong" }] }] }),
        signal: AbortSignal.timeout(Math.max(1_000, Math.min(60_000, deadline - Date.now()))),
      });
      const text = await response.text();
      last = { ok: response.ok, status: response.status, elapsedMs: Date.now() - started, detail: shorten(answerText(text)) };
      if (response.ok || options.retry === false) return last;
      // A client error other than the brief "not configured yet" window will not fix itself.
      if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 429) return last;
    } catch (error) {
      last = { ok: false, status: 0, elapsedMs: Date.now() - started, detail: error instanceof Error ? error.message : String(error) };
    }
    if (options.retry === false || Date.now() + 1_000 > deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
