/**
 * OpenAI tool parameters and `response_format` schemas are JSON Schema; Gemini takes them as
 * `parametersJsonSchema` and `responseJsonSchema`, which accept only a subset and reject other
 * keywords. The subset (from the Gemini API reference of `responseJsonSchema`): `$id`, `$defs`,
 * `$ref`, `$anchor`, `type`, `format`, `title`, `description`, `enum`, `items`, `prefixItems`,
 * `minItems`, `maxItems`, `minimum`, `maximum`, `anyOf`, `oneOf`, `properties`, `required`,
 * `propertyOrdering` (and `additionalProperties`, which REFERENCE.md §7 drops anyway: OpenAI's
 * strict mode puts `additionalProperties: false` everywhere and older models refuse it).
 */

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** Keywords whose value is kept as it is. */
const plainKeywords: ReadonlySet<string> = new Set([
  "$id",
  "$ref",
  "$anchor",
  "type",
  "format",
  "title",
  "description",
  "enum",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "required",
  "propertyOrdering",
]);

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A map of names to schemas (`properties`, `$defs`): the names are data, the values schemas. */
function schemaMap(value: JsonValue | undefined): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const result: JsonObject = {};
  for (const [name, schema] of Object.entries(value)) result[name] = sanitizeNode(schema);
  return result;
}

function schemaList(value: JsonValue | undefined): JsonValue[] | undefined {
  return Array.isArray(value) ? value.map(sanitizeNode) : undefined;
}

function sanitizeNode(node: JsonValue): JsonValue {
  if (!isObject(node)) return node;
  // A single-entry allOf is how generators attach a description to a $ref: fold it in.
  const { allOf, ...own } = node;
  let source: JsonObject = own;
  if (Array.isArray(allOf)) for (const part of allOf) if (isObject(part)) source = { ...part, ...source };

  const result: JsonObject = {};
  if (typeof source.$ref === "string") {
    // Gemini allows nothing but `$…` keywords beside a `$ref`.
    for (const [keyword, value] of Object.entries(source)) if (keyword.startsWith("$") && plainKeywords.has(keyword)) result[keyword] = value;
    result.$ref = source.$ref.replace("#/definitions/", "#/$defs/");
    return result;
  }
  for (const [keyword, value] of Object.entries(source)) {
    if (plainKeywords.has(keyword)) result[keyword] = value;
  }
  if (source.const !== undefined && result.enum === undefined) result.enum = [source.const];
  const properties = schemaMap(source.properties);
  if (properties) result.properties = properties;
  // Draft-7 generators (zod's toJSONSchema, zod-to-json-schema) write `definitions`.
  const definitions = schemaMap(source.$defs ?? source.definitions);
  if (definitions) result.$defs = definitions;
  if (isObject(source.items)) result.items = sanitizeNode(source.items);
  const prefixItems = schemaList(source.prefixItems) ?? (Array.isArray(source.items) ? schemaList(source.items) : undefined);
  if (prefixItems) result.prefixItems = prefixItems;
  // oneOf reads as anyOf to Gemini; one keyword keeps the schema simple.
  const anyOf = schemaList(source.anyOf) ?? schemaList(source.oneOf);
  if (anyOf) result.anyOf = anyOf;
  return result;
}

/** A JSON Schema reduced to what Gemini's `*JsonSchema` fields accept. */
export function toGeminiJsonSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  // Round-tripping through JSON gives plain data (no undefined, no functions) to walk.
  const plain: unknown = JSON.parse(JSON.stringify(schema));
  const sanitized = sanitizeNode(isObject(plain) ? plain : {});
  return isObject(sanitized) ? sanitized : {};
}
