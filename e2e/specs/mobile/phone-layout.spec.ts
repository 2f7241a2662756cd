import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";

test.use({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });

test.describe("#layout on a phone", () => {
  test("on a 375 px phone the menu opens, the list renders and a new request can be filed", async ({
    page,
    seed,
    signIn,
  }) => {
    const requester = await seed.user("requester");
    const existing = await seed.ticket(requester, { title: `Wi-Fi in room 204 ${uniq()}` });
    await signIn(page, requester);
    // The collapsed navbar slides off-screen and is inert: out of the accessibility tree and the
    // tab order, so getByRole does not find it until the menu opens.
    const nav = page.getByRole("navigation", { name: "Main navigation" });
    const navElement = page.locator("nav.mantine-AppShell-navbar");
    const closed = async () => {
      await expect(nav).toHaveCount(0);
      await expect(navElement).not.toBeInViewport();
      await expect(navElement).toHaveAttribute("inert", "");
    };
    const noSideScroll = () =>
      expect
        .poll(() => page.evaluate(() => document.documentElement.scrollWidth), {
          message: "no horizontal scroll",
        })
        .toBeLessThanOrEqual(375);

    await page.goto("/my");
    await expect(page.getByRole("heading", { name: "My requests" })).toBeVisible();
    await expect(page.getByRole("link", { name: existing.title })).toBeVisible();
    await closed();
    await noSideScroll();
    // Tabbing from the menu button never lands inside the closed menu.
    await page.getByRole("button", { name: "Open navigation" }).focus();
    for (let i = 0; i < 4; i += 1) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest("nav")))).toBe(false);
    }

    await page.getByRole("button", { name: "Open navigation" }).click();
    await expect(nav).toBeInViewport();
    await expect(nav.getByRole("link", { name: "My requests" })).toBeVisible();
    await nav.getByRole("link", { name: "New request" }).click();
    await closed();
    await expect(page.getByRole("heading", { name: "New request" })).toBeVisible();
    await noSideScroll();

    const title = `Phone charger missing ${uniq()}`;
    await page.getByRole("textbox", { name: "Title" }).fill(title);
    await page.getByRole("textbox", { name: "Description" }).fill("Filed from my phone.");
    await page.getByRole("button", { name: "Send request" }).click();
    await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
    await noSideScroll();

    await page.getByRole("button", { name: "Open navigation" }).click();
    await nav.getByRole("link", { name: "My requests" }).click();
    await expect(page.getByRole("link", { name: title })).toBeVisible();
    await expect(page.getByRole("link", { name: existing.title })).toBeVisible();
    await noSideScroll();
  });
});
