import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "@playwright/test";
import { uniq } from "../fixtures/api.js";
import { expect, test } from "../fixtures/test.js";

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../screenshots");

/** An i18n key shown instead of its text, e.g. `tickets.listTitle.mine`. */
const UNTRANSLATED =
  /\b(app|common|language|theme|roles|status|nav|search|auth|profile|tickets|assign|history|board|admin|onboarding|errors)\.[a-zA-Z_]+(\.[a-zA-Z_]+)*\b/;

/** Waits until no skeleton placeholder is left, checks for raw i18n keys, then saves a full-page PNG. */
async function shot(page: Page, name: string, theme: string): Promise<void> {
  await expect(page.locator(".mantine-Skeleton-root")).toHaveCount(0);
  await expect(page.locator("body"), `untranslated key on ${name}`).not.toContainText(UNTRANSLATED);
  await expect(page.locator("html")).toHaveAttribute("data-mantine-color-scheme", theme);
  await page.screenshot({
    path: path.join(OUT, `${name}-${theme}.png`),
    fullPage: true,
    animations: "disabled",
  });
}

test.describe("screenshots of the main screens", () => {
  test.beforeAll(() => {
    mkdirSync(OUT, { recursive: true });
  });

  for (const theme of ["light", "dark"] as const) {
    test(`the main screens render in the ${theme} theme`, async ({ page, seed, signIn }) => {
      test.slow();
      // The people of this test share an e-mail domain of their own: the admin's user list is
      // searched for it. The staff work only this test's queue (`seed.desk()`), so the lists and
      // the board show only the tickets below, whatever other specs file meanwhile.
      const emailDomain = `shots-${uniq()}.example.com`;
      const requester = await seed.user("requester", { name: "Maria Ivanova", theme, emailDomain });
      const executor = await seed.user("executor", { name: "Pavel Smirnov", theme, emailDomain });
      const operator = await seed.user("operator", { name: "Olga Kuznetsova", theme, emailDomain });
      const admin = await seed.user("admin", { name: "Anton Admin", theme, emailDomain });
      const talk = await seed.ticket(requester, {
        title: "Outlook asks for the password every morning",
        description: "Since the update on Monday Outlook asks for my password each time I open it.",
      });
      await seed.assign(talk.id, executor);
      await seed.setStatus(executor, talk.id, "in_progress");
      await seed.message(executor, talk.id, "Could you tell me which Outlook version you have?");
      await seed.message(requester, talk.id, "Version 2408, build 17928.");
      await seed.message(executor, talk.id, "Known issue with the 2408 build; roll back the update.", true);
      await seed.ticket(requester, { title: "Second monitor is not detected" });
      const queued = await seed.ticket(requester, { title: "Access to the accounting share" });
      await seed.assign(queued.id, executor);

      await page.emulateMedia({ colorScheme: theme });
      await page.goto("/sign-in");
      await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
      await shot(page, "sign-in", theme);

      await signIn(page, requester);
      await page.goto("/my");
      await expect(page.getByRole("link", { name: talk.title })).toBeVisible();
      await shot(page, "my-requests", theme);
      await page.goto("/new");
      await expect(page.getByRole("heading", { name: "New request" })).toBeVisible();
      await shot(page, "new-request", theme);
      await page.goto(`/tickets/${talk.id}`);
      await expect(page.getByRole("article")).toHaveCount(2);
      await shot(page, "ticket-requester", theme);

      await signIn(page, executor);
      await page.goto(`/tickets/${talk.id}`);
      await expect(page.getByRole("article", { name: "Internal note" })).toBeVisible();
      await shot(page, "ticket-staff", theme);
      await page.goto("/board?assignee_id=me");
      await expect(page.getByRole("button", { name: `#${talk.id} ${talk.title}` })).toBeVisible();
      await shot(page, "board", theme);

      await signIn(page, operator);
      await page.goto("/tickets");
      await expect(page.getByRole("link", { name: talk.title })).toBeVisible();
      await expect(page.getByRole("link", { name: queued.title })).toBeVisible();
      await shot(page, "all-tickets", theme);

      await signIn(page, admin);
      await page.goto("/admin/users");
      await expect(page.getByRole("tab", { name: "Users", selected: true })).toBeVisible();
      // The list pages through every user of the server: search it for this test's people.
      await page.getByRole("textbox", { name: "Search by name or e-mail" }).fill(emailDomain);
      await expect(page.getByText(operator.email)).toBeVisible();
      // The header row and this test's four people: the search is applied.
      await expect(page.getByRole("table").getByRole("row")).toHaveCount(5);
      await shot(page, "admin-users", theme);
      await page.goto("/profile");
      await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
      await shot(page, "profile", theme);
    });
  }
});
