/**
 * The fuzz corpus: malformed requests generated from the OpenAPI document, so every route is
 * covered, including routes added later. Deterministic: one seeded PRNG picks the samples.
 */

/** The subset of JSON Schema that the zod → OpenAPI transform produces. */
export type TJsonSchema = {
  type?: string | string[];
  anyOf?: TJsonSchema[];
  oneOf?: TJsonSchema[];
  allOf?: TJsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: TJsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, TJsonSchema>;
  required?: string[];
};

export type TOperation = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  pathParams: string[];
  query: { name: string; schema: TJsonSchema }[];
  body: TJsonSchema | undefined;
};

export type TFuzzCase = {
  op: TOperation;
  /** What was mutated, for the report. */
  label: string;
  url: string;
  method: TOperation["method"];
  headers: Record<string, string>;
  payload?: string | Buffer;
  multipart?: boolean;
};

type TOpenApi = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema: TJsonSchema }[];
        requestBody?: { content: Record<string, { schema: TJsonSchema }> };
      }
    >
  >;
};

/** Every operation of the document, in document order. */
export function listOperations(doc: unknown): TOperation[] {
  const ops: TOperation[] = [];
  for (const [path, methods] of Object.entries((doc as TOpenApi).paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase() as TOperation["method"],
        path,
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema })),
        body: op.requestBody?.content["application/json"]?.schema,
      });
    }
  }
  return ops;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
    /** Up to n distinct items, in their original order. */
    sample<T>(items: readonly T[], n: number): T[] {
      if (items.length <= n) return [...items];
      const chosen = new Set<number>();
      while (chosen.size < n) chosen.add(Math.floor(next() * items.length));
      return [...chosen].sort((x, y) => x - y).map((i) => items[i]!);
    },
  };
}
export type TRandom = ReturnType<typeof createRandom>;

/** Text PostgreSQL refuses (NUL) or cannot encode (unpaired UTF-16 surrogates). */
export const UNSTORABLE_STRINGS = ["a\u0000b", "\u0000", "x\ud800", "\udc00x", "\udfff\ud800"] as const;

/** Strings to put where a string is expected: unstorable, oversize, empty, odd but valid. */
const BAD_STRINGS: unknown[] = [
  ...UNSTORABLE_STRINGS,
  "x".repeat(100_000),
  "",
  "   ",
  "\u202egnp.exe",
  "\ufeff\u200b",
  "Ünïcödé 🎉 ё",
  "\u0085\u2028\u2029",
  "' OR 1=1 --",
  "%00",
];
/** Wrong types for any field. */
const WRONG_TYPES: unknown[] = [null, 0, -1, 1.5, true, [], {}, ["x"], { a: "\u0000" }];
/** Numbers outside int4, bigint and the safe-integer range, negative, fractional, as strings. */
const BAD_NUMBERS: unknown[] = [
  2147483648,
  2147483647,
  -2147483649,
  9007199254740991,
  9007199254740992,
  2 ** 63,
  1e20,
  1e308,
  -1,
  0,
  1.5,
  "1",
  "2147483648",
  "1e3",
  "0x10",
  "99999999999999999999",
  "NaN",
  null,
  true,
  [],
  {},
];
/** Number literals JSON.stringify cannot write: they go into the body text as is. */
const RAW_NUMBERS = [
  "9223372036854775807",
  "1e400",
  "-1e400",
  "123456789012345678901234567890",
  "1.0000000000000002",
  "1E2",
];
const RAW_MARK = "__fuzz_raw_number__";

/** Values for query and path parameters, already percent-encoded. */
export const BAD_PARAM_VALUES = [
  "%00",
  "a%00b",
  "%ED%A0%80",
  "%ED%B0%80x",
  "-1",
  "0",
  "1.5",
  "2147483648",
  "9007199254740992",
  "99999999999999999999",
  "1e400",
  "",
  "x".repeat(1000),
  "%FF",
  "1,2147483648",
  "1,-1",
  "%E2%80%AE",
  "[]",
];
export const BAD_PATH_VALUES = [
  "%00",
  "a%00",
  "%ED%A0%80",
  "0",
  "-1",
  "1.5",
  "2147483648",
  "9007199254740992",
  "99999999999999999999",
  "1e3",
  "abc",
  "%FF",
  "%zz",
  "%201",
  "0x10",
  "x".repeat(199),
];

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
/** Cursors that decode, but to ids no table has or PostgreSQL cannot take. */
export const BAD_CURSORS = [
  b64({ id: 2147483648 }),
  b64({ id: 2 ** 53 }),
  b64({ id: 9007199254740991 }),
  b64({ id: 1e300 }),
  b64('{"id":1e400}'),
  b64({ id: -1 }),
  b64({ id: 1.5 }),
  b64({ id: "1" }),
  b64({ id: 1, w: 1e308, r: 1e308 }),
  b64({ id: 1, w: -5 }),
  b64({ id: 1, r: -1e308, c: 1 }),
  b64({ id: 9007199254740991, w: 9007199254740991, r: 0, c: 1 }),
  b64([1]),
  b64("x"),
  b64(Buffer.from([0xff, 0xfe, 0x00])),
  "%00",
];
/** Searches: unstorable text and full-text query syntax. */
export const BAD_SEARCHES = [
  "%00",
  "a%00b",
  "%ED%A0%80",
  "%22%22%22",
  "-",
  "!!!",
  "%23999999999999999",
  "%2399999999999999999999",
  "a%20%26%20b%20%7C%20!c",
  "(((",
  "%5C",
  ":*",
  "%D1%91",
  "x".repeat(201),
];

/** Placeholder for a path parameter: `fixture(path, name)` gives a real id. */
export type TFixtureFor = (path: string, param: string) => string;

const uniq = (() => {
  let n = 0;
  return () => ++n;
})();

/** A value the schema accepts; field names steer it to something harmless (no outbound hosts). */
export function validValue(schema: TJsonSchema, key: string, ids: Record<string, number>): unknown {
  if (schema.anyOf ?? schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf)!;
    return validValue(options.find((o) => o.type !== "null") ?? options[0]!, key, ids);
  }
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string": {
      if (schema.format === "email" || key === "email" || key === "to" || key === "username")
        return `fuzz${uniq()}@example.com`;
      if (schema.format === "uuid") return "00000000-0000-4000-8000-000000000000";
      if (schema.format === "uri" || key === "endpoint") return "http://127.0.0.1:9/push";
      if (schema.format === "date-time") return "2024-01-01T00:00:00Z";
      if (schema.format === "date") return "2024-01-01";
      if (key === "host") return "127.0.0.1";
      if (key === "slug") return `fuzz-${uniq()}`;
      if (key === "allowed_email_domain") return "example.com";
      if (/password/.test(key)) return "Fuzz-Horse-Battery-Staple-91";
      if (key === "p256dh")
        return "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
      if (key === "auth") return "tBHItJI5svbpez7KI4CCXg";
      const base = `fuzz ${key} ${uniq()}`;
      return base.slice(0, schema.maxLength ?? base.length);
    }
    case "integer":
    case "number": {
      if (key === "port") return 9;
      if (key in ids) return ids[key];
      if (key === "rank" || key === "sort_order") return 7;
      if (key === "auto_hide_hours") return 24;
      return Math.max(1, schema.minimum ?? 1);
    }
    case "boolean":
      return key !== "sound";
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () =>
        validValue(schema.items ?? {}, key.replace(/s$/, ""), ids),
      );
    case "object":
      return validObject(schema, ids, "required");
    case "null":
      return null;
    default:
      return "fuzz";
  }
}

/** The object with its required properties (or all of them). */
export function validObject(
  schema: TJsonSchema,
  ids: Record<string, number>,
  which: "required" | "all",
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = new Set(schema.required ?? []);
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (which === "all" || required.has(key)) out[key] = validValue(prop, key, ids);
  }
  return out;
}

const typeOf = (schema: TJsonSchema): string => {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return typeOf(options.find((o) => o.type !== "null") ?? options[0]!);
  if (schema.enum) return typeof schema.enum[0] === "number" ? "integer" : "string";
  return (Array.isArray(schema.type) ? schema.type[0] : schema.type) ?? "string";
};

/** Bad values for one field of this schema. */
export function badValuesFor(schema: TJsonSchema, rnd: TRandom): { label: string; value: unknown }[] {
  const type = typeOf(schema);
  const out: { label: string; value: unknown }[] = [];
  const add = (values: unknown[], prefix = "") => {
    for (const v of values) out.push({ label: `${prefix}${describe(v)}`, value: v });
  };
  if (type === "string") {
    add(BAD_STRINGS);
    add(rnd.sample(WRONG_TYPES, 4));
  } else if (type === "integer" || type === "number") {
    add(BAD_NUMBERS);
    for (const raw of RAW_NUMBERS) out.push({ label: `raw ${raw}`, value: `${RAW_MARK}${raw}` });
  } else if (type === "boolean") {
    add(["true", 1, null, "\u0000", {}]);
  } else if (type === "array") {
    const items = schema.items ?? {};
    for (const bad of rnd.sample(badValuesFor(items, rnd), 8))
      out.push({ label: `[${bad.label}]`, value: [bad.value] });
    add(["x", {}, null]);
    out.push({ label: "1000 items", value: Array.from({ length: 1000 }, (_, i) => i + 1) });
  } else if (type === "object") {
    add([{}, null, [], "x"]);
    for (const [key, prop] of Object.entries(schema.properties ?? {}).slice(0, 3)) {
      for (const bad of rnd.sample(badValuesFor(prop, rnd), 3)) {
        out.push({ label: `{${key}: ${bad.label}}`, value: { [key]: bad.value } });
      }
    }
  }
  return out;
}

function describe(v: unknown): string {
  const s =
    typeof v === "string"
      ? JSON.stringify(v.length > 20 ? `${v.slice(0, 8)}…(${v.length})` : v)
      : JSON.stringify(v);
  return (s ?? String(v)).slice(0, 40);
}

/** JSON text of a body, with raw number literals where marked. */
export function toJsonText(body: unknown): string {
  return JSON.stringify(body).replace(new RegExp(`"${RAW_MARK}([^"]*)"`, "g"), "$1");
}

/** Whole-body mutations: not an object, empty, deep, huge, unknown or odd keys, broken JSON. */
export const BODY_MUTATIONS: { label: string; text: string; contentType?: string }[] = [
  { label: "empty object", text: "{}" },
  { label: "null", text: "null" },
  { label: "array", text: "[]" },
  { label: "string", text: '"x"' },
  { label: "number", text: "123" },
  { label: "unknown key", text: '{"__fuzz":1}' },
  { label: "NUL key", text: '{"\\u0000":1}' },
  { label: "lone surrogate key", text: '{"\\ud800":1}' },
  { label: "__proto__", text: '{"__proto__":{"admin":true}}' },
  { label: "constructor", text: '{"constructor":{"prototype":{"x":1}}}' },
  { label: "deep arrays 5k", text: `${"[".repeat(5000)}${"]".repeat(5000)}` },
  { label: "deep objects 5k", text: `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}` },
  { label: "deep arrays 200k", text: `${"[".repeat(200_000)}${"]".repeat(200_000)}` },
  { label: "deep objects 100k", text: `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}` },
  { label: "many keys", text: `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(",")}}` },
  { label: "over 1 MB", text: `{"x":"${"y".repeat(1_100_000)}"}` },
  { label: "truncated", text: '{"a":' },
  { label: "raw control character", text: '{"a":"\u0001"}' },
  { label: "invalid UTF-8", text: '{"a":"\udcff"}' },
  { label: "BOM", text: '\ufeff{"a":1}' },
  { label: "whitespace only", text: " \n\t " },
  { label: "text/plain", text: "{}", contentType: "text/plain" },
  { label: "form", text: "a=1", contentType: "application/x-www-form-urlencoded" },
  { label: "json charset latin1", text: "{}", contentType: "application/json; charset=latin1" },
  { label: "no content type", text: "{}", contentType: "" },
];

const CRLF = "\r\n";
type TPart = {
  name: string;
  filename?: string;
  type?: string;
  value: string | Buffer;
  rawDisposition?: string;
};

/** A multipart/form-data body; `close: false` leaves out the closing delimiter. */
export function multipartBody(boundary: string, parts: TPart[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition =
      p.rawDisposition ??
      `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    chunks.push(
      Buffer.from(
        `--${boundary}${CRLF}Content-Disposition: ${disposition}${CRLF}${p.type ? `Content-Type: ${p.type}${CRLF}` : ""}${CRLF}`,
      ),
    );
    chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value));
    chunks.push(Buffer.from(CRLF));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return Buffer.concat(chunks);
}

/** Malformed multipart bodies for a route with fields `ticketId` and files. */
export function multipartMutations(ticketId: number): {
  label: string;
  contentType: string;
  body: Buffer;
}[] {
  const B = "fuzzboundary42";
  const ct = `multipart/form-data; boundary=${B}`;
  const file = (filename: string, value: string | Buffer = "hello", type = "text/plain"): TPart => ({
    name: "file",
    filename,
    type,
    value,
  });
  const fields = (ticket: string, text = "hi"): TPart[] => [
    { name: "ticket_id", value: ticket },
    { name: "text", value: text },
  ];
  const long = "b".repeat(300);
  return [
    { label: "no boundary", contentType: "multipart/form-data", body: Buffer.from("hello") },
    { label: "empty boundary", contentType: "multipart/form-data; boundary=", body: Buffer.from("hello") },
    {
      label: "300-char boundary",
      contentType: `multipart/form-data; boundary=${long}`,
      body: multipartBody(long, [file("a.txt")]),
    },
    { label: "garbage", contentType: ct, body: Buffer.from("--fuzzboundary42\r\nnonsense\r\n\r\n") },
    { label: "empty body", contentType: ct, body: Buffer.alloc(0) },
    { label: "only the closing delimiter", contentType: ct, body: Buffer.from(`--${B}--\r\n`) },
    {
      label: "truncated file",
      contentType: ct,
      body: multipartBody(B, [...fields(String(ticketId)), file("t.txt", "x".repeat(5000))], false).subarray(
        0,
        -1200,
      ),
    },
    {
      label: "truncated before a file",
      contentType: ct,
      body: multipartBody(B, fields(String(ticketId)), false),
    },
    {
      label: "no Content-Disposition",
      contentType: ct,
      body: Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${B}--\r\n`),
    },
    {
      label: "NUL in fields",
      contentType: ct,
      body: multipartBody(B, [...fields(`${ticketId}\u0000`, "a\u0000b"), file("n.txt")]),
    },
    {
      label: "invalid UTF-8 in a field",
      contentType: ct,
      body: multipartBody(B, [
        { name: "ticket_id", value: String(ticketId) },
        { name: "text", value: Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]) },
      ]),
    },
    {
      label: "int4+1 ticket",
      contentType: ct,
      body: multipartBody(B, [...fields("2147483648"), file("a.txt")]),
    },
    {
      label: "huge ticket",
      contentType: ct,
      body: multipartBody(B, [...fields("99999999999999999999"), file("a.txt")]),
    },
    {
      label: "invisible ticket",
      contentType: ct,
      body: multipartBody(B, [...fields("987654321"), file("a.txt")]),
    },
    {
      label: "files before fields, bad ticket",
      contentType: ct,
      body: multipartBody(B, [file("a.txt"), file("b.txt"), ...fields("-5")]),
    },
    {
      label: "file with a NUL, RTL and zero-width name",
      contentType: ct,
      body: multipartBody(B, [...fields(String(ticketId)), file("a\u0000\u202egnp.\u200btxt")]),
    },
    {
      label: "filename* with a lone surrogate",
      contentType: ct,
      body: multipartBody(B, [
        ...fields(String(ticketId)),
        {
          name: "file",
          rawDisposition: `form-data; name="file"; filename*=UTF-8''%ED%A0%80.txt`,
          value: "x",
        },
      ]),
    },
    {
      label: "an executable",
      contentType: ct,
      body: multipartBody(B, [
        ...fields(String(ticketId)),
        file("run.exe", Buffer.from("MZ\x90\x00"), "application/x-msdownload"),
      ]),
    },
    {
      label: "11 files",
      contentType: ct,
      body: multipartBody(B, [
        ...fields(String(ticketId)),
        ...Array.from({ length: 11 }, (_, i) => file(`f${i}.txt`)),
      ]),
    },
    {
      label: "25 fields",
      contentType: ct,
      body: multipartBody(
        B,
        Array.from({ length: 25 }, (_, i) => ({ name: `f${i}`, value: "x" })),
      ),
    },
    {
      label: "__proto__ field",
      contentType: ct,
      body: multipartBody(B, [{ name: "__proto__", value: "x" }, ...fields(String(ticketId))]),
    },
    {
      label: "JSON field that does not parse",
      contentType: ct,
      body: multipartBody(B, [
        { name: "ticket_id", type: "application/json", value: "{" },
        ...fields(String(ticketId)),
      ]),
    },
    {
      label: "oversize text field",
      contentType: ct,
      body: multipartBody(B, fields(String(ticketId), "y".repeat(100_000))),
    },
    {
      label: "nested multipart/mixed",
      contentType: ct,
      body: multipartBody(B, [
        ...fields(String(ticketId)),
        { name: "file", type: "multipart/mixed; boundary=inner", value: "--inner\r\n\r\nx\r\n--inner--" },
      ]),
    },
  ];
}
