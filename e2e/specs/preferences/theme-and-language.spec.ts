import { expect, test } from "../../fixtures/test.js";

test.describe("#auth.profile preferences from the header", () => {
  test("switching to Russian and the dark theme persists after reload and on another device, and back", async ({
    page,
    browser,
    seed,
    signIn,
  }) => {
    // Two browsers, each loading several screens.
    test.slow();
    const requester = await seed.user("requester");
    await signIn(page, requester);
    const html = page.locator("html");
    const nav = page.getByRole("navigation");

    await page.goto("/my");
    await expect(page.getByRole("heading", { name: "My requests" })).toBeVisible();
    await expect(html).toHaveAttribute("lang", "en");
    await expect(html).toHaveAttribute("data-mantine-color-scheme", "light");

    const saved = () =>
      page.waitForResponse((r) => r.url().endsWith("/api/auth/profile/") && r.request().method() === "PATCH");
    let patch = saved();
    await page.getByRole("button", { name: "Language" }).click();
    await page.getByRole("menuitem", { name: "Русский" }).click();
    expect((await patch).ok()).toBe(true);
    await expect(page.getByRole("heading", { name: "Мои заявки" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Новая заявка" })).toBeVisible();
    await expect(html).toHaveAttribute("lang", "ru");

    patch = saved();
    await page.getByRole("button", { name: "Переключить тему" }).click();
    expect((await patch).ok()).toBe(true);
    await expect(html).toHaveAttribute("data-mantine-color-scheme", "dark");

    await page.reload();
    await expect(page.getByRole("heading", { name: "Мои заявки" })).toBeVisible();
    await expect(html).toHaveAttribute("data-mantine-color-scheme", "dark");

    // A fresh browser (no localStorage) gets both from the profile.
    const other = await browser.newContext({ locale: "en-US" });
    const otherPage = await other.newPage();
    await signIn(otherPage, requester);
    await otherPage.goto("/my");
    await expect(otherPage.getByRole("heading", { name: "Мои заявки" })).toBeVisible();
    await expect(otherPage.locator("html")).toHaveAttribute("data-mantine-color-scheme", "dark");
    await other.close();

    patch = saved();
    await page.getByRole("button", { name: "Язык" }).click();
    await page.getByRole("menuitem", { name: "English" }).click();
    expect((await patch).ok()).toBe(true);
    patch = saved();
    await page.getByRole("button", { name: "Toggle colour theme" }).click();
    expect((await patch).ok()).toBe(true);
    await page.reload();
    await expect(page.getByRole("heading", { name: "My requests" })).toBeVisible();
    await expect(html).toHaveAttribute("lang", "en");
    await expect(html).toHaveAttribute("data-mantine-color-scheme", "light");
  });
});
