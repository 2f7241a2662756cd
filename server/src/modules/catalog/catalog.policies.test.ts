import { describe, expect, it } from "vitest";
import { canManageCatalog, canManageSettings, canReadCatalog } from "./catalog.policies.js";

describe("catalog.policies", () => {
  it("lets everyone signed in read the catalog", () => {
    for (const role of ["admin", "operator", "executor", "requester"] as const) {
      expect(canReadCatalog({ role })).toBe(true);
    }
  });

  it("lets only admins change the catalog and the settings", () => {
    expect(canManageCatalog({ role: "admin" })).toBe(true);
    expect(canManageSettings({ role: "admin" })).toBe(true);
    for (const role of ["operator", "executor", "requester"] as const) {
      expect(canManageCatalog({ role })).toBe(false);
      expect(canManageSettings({ role })).toBe(false);
    }
  });
});
