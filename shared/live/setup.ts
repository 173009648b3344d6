/**
 * The first message of a Live session, `{"setup": {"model": "models/…", …}}`: the one place the
 * session names its model, so the model policy and the access key's allow-list apply here.
 * https://ai.google.dev/api/live#bidigeneratecontentsetup
 */
import { z } from "zod";
import { BadRequestError } from "../errors.ts";
import { modelNameProblem } from "../gemini/paths.ts";
import { admitModel } from "../policy/model-requests.ts";
import type { ModelPolicy } from "../policy/model-policy.ts";
import type { LiveFrame } from "./socket.ts";

const setupMessageSchema = z.object({ setup: z.looseObject({ model: z.string().min(1) }) }).loose();

/** A parsed setup: the model asked for (without `models/`) and the message itself. */
export interface LiveSetup {
  model: string;
  message: z.infer<typeof setupMessageSchema>;
}

/** Text of a frame: clients send JSON as text or as binary frames. */
export function frameText(frame: LiveFrame): string {
  return typeof frame === "string" ? frame : new TextDecoder().decode(frame);
}

/** Parses the first client message; throws a 400 saying what is wrong. */
export function parseSetup(frame: LiveFrame): LiveSetup {
  let json: unknown;
  try {
    json = JSON.parse(frameText(frame));
  } catch {
    throw new BadRequestError("Invalid JSON payload received: the first Live message must be a setup message.");
  }
  const parsed = setupMessageSchema.safeParse(json);
  if (!parsed.success) throw new BadRequestError("The first Live message must be {\"setup\": {\"model\": \"models/…\"}}.");
  const model = parsed.data.setup.model.replace(/^models\//, "");
  const problem = modelNameProblem(model);
  if (problem !== null) throw new BadRequestError(problem);
  return { model, message: parsed.data };
}

/**
 * The setup as it goes upstream, and the model it names there: a disabled model throws the
 * policy's 404 (its message names the model), an alias is replaced by its target.
 */
export function admitSetup(policy: ModelPolicy, setup: LiveSetup): { model: string; text: string } {
  const target = admitModel(policy, setup.model);
  const message = { ...setup.message, setup: { ...setup.message.setup, model: `models/${target}` } };
  return { model: target, text: JSON.stringify(message) };
}
