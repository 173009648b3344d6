/** JSON Schema reduced to what Gemini's parametersJsonSchema / responseJsonSchema accept. */
import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toGeminiJsonSchema } from "../../shared/openai/json-schema.ts";

describe("toGeminiJsonSchema", () => {
  it("drops what Gemini refuses and keeps property names that look like keywords", () => {
    expect(
      toGeminiJsonSchema({
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        additionalProperties: false,
        properties: { pattern: { type: "string", pattern: "^a", minLength: 1, default: "a", examples: ["a"] }, type: { const: "x" }, count: { type: ["integer", "null"], minimum: 0 } },
        required: ["pattern"],
      }),
    ).toEqual({ type: "object", properties: { pattern: { type: "string" }, type: { enum: ["x"] }, count: { type: ["integer", "null"], minimum: 0 } }, required: ["pattern"] });
  });

  it("moves draft-7 definitions to $defs, leaves $ref alone, folds single allOf, reads oneOf as anyOf", () => {
    expect(
      toGeminiJsonSchema({
        definitions: { Item: { type: "object", properties: { name: { type: "string" } } } },
        type: "object",
        properties: {
          item: { allOf: [{ $ref: "#/definitions/Item" }], description: "an item" },
          choice: { oneOf: [{ type: "string" }, { type: "number" }] },
          pair: { type: "array", items: [{ type: "string" }, { type: "number" }] },
        },
      }),
    ).toEqual({
      type: "object",
      properties: {
        item: { $ref: "#/$defs/Item" },
        choice: { anyOf: [{ type: "string" }, { type: "number" }] },
        pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] },
      },
      $defs: { Item: { type: "object", properties: { name: { type: "string" } } } },
    });
  });

  it("turns zodResponseFormat's strict schema into one with nothing Gemini refuses", () => {
    const Step = z.object({ explanation: z.string(), output: z.string() });
    const format = zodResponseFormat(z.object({ steps: z.array(Step), final: z.string().nullable(), kind: z.discriminatedUnion("type", [z.object({ type: z.literal("a") }), z.object({ type: z.literal("b") })]) }), "math");
    const schema = toGeminiJsonSchema(format.json_schema.schema!);
    expect(JSON.stringify(schema)).not.toMatch(/additionalProperties|\$schema|"strict"|oneOf|definitions/);
    expect(schema).toMatchObject({ type: "object", required: ["steps", "final", "kind"], properties: { steps: { type: "array", items: { type: "object", required: ["explanation", "output"] } } } });
  });
});
