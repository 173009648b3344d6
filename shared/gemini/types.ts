/**
 * Gemini wire types as far as gemrelay reads them, validated with zod where they cross a
 * boundary. Unknown fields are kept (loose objects) so requests and answers pass through intact.
 * https://ai.google.dev/api/generate-content
 */
import { z } from "zod";

/** A content part: text (maybe a thought), inline data, function call or response, … */
export const partSchema = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
  functionCall: z.looseObject({ name: z.string(), args: z.record(z.string(), z.unknown()).optional(), id: z.string().optional() }).optional(),
  functionResponse: z.looseObject({ name: z.string(), response: z.unknown().optional() }).optional(),
  inlineData: z.looseObject({ mimeType: z.string(), data: z.string() }).optional(),
});
export type Part = z.infer<typeof partSchema>;

/** A turn: role `user` or `model` (absent on single-turn requests) and its parts. */
export const contentSchema = z.looseObject({
  role: z.string().optional(),
  parts: z.array(partSchema),
});
export type Content = z.infer<typeof contentSchema>;

/** The body of generateContent / streamGenerateContent. */
export const generateContentRequestSchema = z.looseObject({
  contents: z.array(contentSchema),
  systemInstruction: contentSchema.partial({ parts: true }).optional(),
  tools: z.array(z.unknown()).optional(),
  toolConfig: z.unknown().optional(),
  generationConfig: z.record(z.string(), z.unknown()).optional(),
  safetySettings: z.array(z.unknown()).optional(),
  cachedContent: z.string().optional(),
});
export type GenerateContentRequest = z.infer<typeof generateContentRequestSchema>;

/** Cumulative token counts carried on every chunk. */
export const usageMetadataSchema = z.looseObject({
  promptTokenCount: z.number().optional(),
  candidatesTokenCount: z.number().optional(),
  totalTokenCount: z.number().optional(),
  thoughtsTokenCount: z.number().optional(),
  cachedContentTokenCount: z.number().optional(),
});
export type UsageMetadata = z.infer<typeof usageMetadataSchema>;

/** One candidate of an answer chunk. */
export const candidateSchema = z.looseObject({
  content: z.looseObject({ role: z.string().optional(), parts: z.array(partSchema).optional() }).optional(),
  finishReason: z.string().optional(),
  finishMessage: z.string().optional(),
  index: z.number().optional(),
});
export type Candidate = z.infer<typeof candidateSchema>;

/** One GenerateContentResponse: a streamed chunk or a whole answer. */
export const generateContentResponseSchema = z.looseObject({
  candidates: z.array(candidateSchema).optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
  usageMetadata: usageMetadataSchema.optional(),
  modelVersion: z.string().optional(),
  responseId: z.string().optional(),
});
export type GenerateContentResponse = z.infer<typeof generateContentResponseSchema>;
