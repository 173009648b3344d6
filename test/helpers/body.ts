/**
 * Reading a response body that may end aborted: a streamed answer that could not be completed
 * ends with its error event and then a cut connection (shared/gemini/encode.ts), which makes
 * `response.text()` reject and lose what did arrive.
 */

/** Everything the body delivered, and whether it ended aborted rather than cleanly. */
export async function readBody(response: Response): Promise<{ text: string; aborted: boolean }> {
  if (response.body === null) return { text: "", aborted: false };
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
    return { text, aborted: false };
  } catch {
    return { text, aborted: true };
  }
}
