/**
 * `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape (https://docs.anthropic.com/en/api/models-list), for
 * requests that carry `anthropic-version`: the same list as OpenAI's (upstream models, then
 * aliases), each as `{type: "model", id, display_name, created_at}`.
 */
import type { ProtocolRequest } from "../protocols/adapter.ts";
import { listModels, retrieveModel } from "../openai/models.ts";

/** Anthropic's model object for a model id (Gemini publishes no creation date). */
function modelObject(id: string): Record<string, string> {
  return { type: "model", id, display_name: id, created_at: "1970-01-01T00:00:00Z" };
}

/** Answers the model list. */
export async function handleModels(input: ProtocolRequest): Promise<Response> {
  const listed = await listModels(input.identity, input.context, input.background, input.request.signal);
  const body = (await listed.json()) as { data: { id: string }[] };
  const data = body.data.map((entry) => modelObject(entry.id));
  return Response.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}

/** Answers one model: what it resolves to must exist upstream (an unknown one is a 404). */
export async function handleModel(input: ProtocolRequest, id: string): Promise<Response> {
  await retrieveModel(id, input.identity, input.context, input.background, input.request.signal);
  return Response.json(modelObject(id));
}
