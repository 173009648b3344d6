/**
 * What the simulated model says: answer and thought text for a request, plus a helper that
 * behaves like a model asked to continue a cut answer.
 */
import { generationConfigOf, lastUserText, trailingModelText } from "./content.ts";
import { sampleJson } from "./json-sample.ts";
import type { AnswerFunction, RecordedRequest } from "./types.ts";

/**
 * The default answer: `Echo: ${lastUserText}`; for JSON output (`responseMimeType:
 * application/json`) a JSON value following `responseJsonSchema` or `responseSchema`, or
 * `{"echo": lastUserText}` without a schema.
 */
export const echoAnswer: AnswerFunction = (request) => {
  const config = generationConfigOf(request.body);
  if (config.responseMimeType !== "application/json") return `Echo: ${lastUserText(request.body)}`;
  const schema = config.responseJsonSchema ?? config.responseSchema;
  return JSON.stringify(schema === undefined ? { echo: lastUserText(request.body) } : sampleJson(schema));
};

/** The default thought text (shown only with includeThoughts, billed always). */
export function defaultThoughts(request: RecordedRequest): string {
  const question = lastUserText(request.body).slice(0, 80);
  return `**Considering the request**\n\nThe user wrote "${question}". I will answer directly and briefly.\n\n`;
}

/** Options of {@link continuingAnswer}. */
export interface ContinuingOptions {
  /** Characters before the seam that the model repeats when continuing (overlap to be removed by the resume logic). */
  repeat?: number;
  /** Text the model puts before a continuation ("Continuing from where I left off:\n"), as models asked with a user turn do. */
  preamble?: string;
}

/**
 * An answer function for resume tests: answers `full`, and when the request carries a partial
 * model turn that `full` starts with (prefill, or followed by a "continue" user turn), answers
 * only the rest — repeating the last `repeat` characters as real models tend to.
 */
export function continuingAnswer(full: string | AnswerFunction, options: ContinuingOptions = {}): AnswerFunction {
  return (request) => {
    const text = typeof full === "string" ? full : full(request);
    const partial = trailingModelText(request.body);
    if (partial === null || partial.length === 0 || !text.startsWith(partial)) return text;
    const start = Math.max(0, partial.length - (options.repeat ?? 0));
    return (options.preamble ?? "") + text.slice(start);
  };
}
