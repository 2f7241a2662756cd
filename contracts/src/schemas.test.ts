import { describe, expect, it } from "vitest";
import {
  INT4_MAX,
  isStorableText,
  toStorableText,
  ZBigId,
  ZCreateTicketRequest,
  ZId,
  ZTicketListQuery,
} from "./schemas.js";

describe("text PostgreSQL can store", () => {
  it("refuses NUL and unpaired surrogates, and keeps every other character", () => {
    for (const bad of ["\u0000", "a\u0000b", "\ud800", "x\udbff", "\udc00y", "\udfff\ud800"]) {
      expect(isStorableText(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const good of [
      "",
      "plain",
      "Ünïcödé ё",
      "🎉 (a surrogate pair)",
      "\u202e\u200b\ufeff",
      "\u0001\u001f",
    ]) {
      expect(isStorableText(good), JSON.stringify(good)).toBe(true);
    }
  });

  it("is checked on every text field, with the field named", () => {
    const r = ZCreateTicketRequest.safeParse({ title: "ok", description: "a\u0000" });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("."))).toEqual(["description"]);
    expect(ZTicketListQuery.safeParse({ q: "x\ud800" }).success).toBe(false);
  });
});

describe("ids", () => {
  it("fit PostgreSQL integer (ZId) or a bigint that JSON carries exactly (ZBigId)", () => {
    expect(ZId.parse(INT4_MAX)).toBe(INT4_MAX);
    expect(ZId.safeParse(INT4_MAX + 1).success).toBe(false);
    expect(ZBigId.parse(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(ZBigId.safeParse(Number.MAX_SAFE_INTEGER + 1).success).toBe(false);
  });

  it("take decimal digits from paths and query strings, and nothing looser", () => {
    expect(ZId.parse("42")).toBe(42);
    for (const bad of [
      "",
      " 1",
      "1e3",
      "0x10",
      "1.5",
      "-1",
      "0",
      "99999999999999999999",
      true,
      null,
      [],
      1.5,
    ]) {
      expect(ZId.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("toStorableText", () => {
  it("drops NULs and replaces unpaired surrogates, keeping pairs and everything else", () => {
    expect(toStorableText("a\u0000b")).toBe("ab");
    expect(toStorableText("x\ud800y\udc00z")).toBe("x\ufffdy\ufffdz");
    expect(toStorableText("ok 😀 ок")).toBe("ok 😀 ок");
    expect(isStorableText(toStorableText("\u0000\ud83d"))).toBe(true);
  });
});
