/**
 * A JSON value that follows a JSON Schema (the subset Gemini's `responseJsonSchema` takes) or an
 * OpenAPI-style `responseSchema` (upper-case types): what the simulated model answers when a
 * request asks for JSON output. Deterministic: strings echo the property name, numbers are 1.
 */
import { isRecord } from "./json.ts";

const maxDepth = 8;

function resolveReference(reference: string, root: Record<string, unknown>): unknown {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(reference);
  if (!match) return {};
  const definitions = root[match[1] ?? ""];
  return isRecord(definitions) ? definitions[decodeURIComponent(match[2] ?? "")] : {};
}

function typeOf(schema: Record<string, unknown>): string {
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== "null") : schema.type;
  if (typeof type === "string") return type.toLowerCase();
  if (isRecord(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  return "string";
}

function sample(schema: unknown, root: Record<string, unknown>, name: string, depth: number): unknown {
  if (!isRecord(schema) || depth > maxDepth) return null;
  if (typeof schema.$ref === "string") return sample(resolveReference(schema.$ref, root), root, name, depth + 1);
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options) && options.length > 0) return sample(options[0], root, name, depth + 1);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  switch (typeOf(schema)) {
    case "object": {
      const value: Record<string, unknown> = {};
      const properties = isRecord(schema.properties) ? schema.properties : {};
      for (const [property, propertySchema] of Object.entries(properties)) value[property] = sample(propertySchema, root, property, depth + 1);
      return value;
    }
    case "array": {
      const count = typeof schema.minItems === "number" && schema.minItems > 1 ? schema.minItems : 1;
      return Array.from({ length: count }, () => sample(schema.items, root, name, depth + 1));
    }
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return `${name} value`;
  }
}

/** A value following `schema`. */
export function sampleJson(schema: unknown): unknown {
  return sample(schema, isRecord(schema) ? schema : {}, "text", 0);
}
