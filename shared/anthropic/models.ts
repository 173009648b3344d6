/**
 * `GET /v1/models` in Anthropic's shape (https://docs.anthropic.com/en/api/models-list), for
 * requests that carry `anthropic-version`: the same list as OpenAI's (upstream models, then
 * aliases), each as `{type: "model", id, display_name, created_at}`.
 */
import type { ProtocolRequest } from "../protocols/adapter.ts";
import { listModels } from "../openai/models.ts";

/** Answers the model list. */
export async function handleModels(input: ProtocolRequest): Promise<Response> {
  const listed = await listModels(input.identity, input.context, input.background, input.request.signal);
  const body = (await listed.json()) as { data: { id: string }[] };
  const data = body.data.map((entry) => ({ type: "model", id: entry.id, display_name: entry.id, created_at: "1970-01-01T00:00:00Z" }));
  return Response.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}
