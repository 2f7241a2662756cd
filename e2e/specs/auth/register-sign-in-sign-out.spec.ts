import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";

test.describe("#auth register, sign in, sign out", () => {
  const domain = `corp-${uniq()}.example`;

  test.afterEach(async ({ adminApi }) => {
    // The rule is server-wide: lift it whatever happened in the test. (The specs that change
    // server-wide settings run one at a time: see the server-settings project.)
    await adminApi.patch("/api/settings/", { allowed_email_domain: null });
  });

  test("a visitor with a private address sees the corporate-domain error, registers with a corporate one, signs in and out", async ({
    page,
    adminApi,
  }) => {
    await adminApi.patch("/api/settings/", { allowed_email_domain: domain });
    const local = `anna-${uniq()}`;
    const password = "Long-enough-pass-42";

    await page.goto("/register");
    await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
    await expect(page.getByRole("note")).toHaveText(`Only addresses at @${domain} can register.`);

    await page.getByLabel("Full name").fill("Anna Petrova");
    await page.getByLabel("E-mail").fill(`${local}@gmail.example`);
    await page.getByRole("textbox", { name: "Password" }).fill(password);
    const refused = page.waitForResponse((r) => r.url().endsWith("/api/auth/register/"));
    await page.getByRole("button", { name: "Create an account" }).click();
    expect((await refused).status()).toBe(403);
    await expect(page.getByRole("alert")).toHaveText(`Only addresses at @${domain} can register.`);
    await expect(page.getByLabel("E-mail")).toHaveAttribute("aria-invalid", "true");
    await expect(page).toHaveURL(/\/register$/);

    await page.getByLabel("E-mail").fill(`${local}@${domain}`);
    await page.getByRole("button", { name: "Create an account" }).click();
    await expect(page).toHaveURL(/\/sign-in\?registered=1/);
    await expect(page.getByRole("status")).toHaveText("Account created. You can sign in now.");
    await expect(page.getByLabel("E-mail")).toHaveValue(`${local}@${domain}`);

    await page.getByRole("textbox", { name: "Password" }).fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/my$/);
    await expect(page.getByRole("heading", { name: "My requests" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main navigation" })).toBeVisible();

    await page.getByRole("button", { name: "User menu" }).click();
    await expect(page.getByRole("menu")).toContainText("Anna Petrova");
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);

    await page.goto("/my");
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fmy$/);
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  });

  test("a wrong password is refused with a clear message and no session", async ({ page, seed }) => {
    const user = await seed.user("requester");
    await page.goto("/sign-in");
    await page.getByLabel("E-mail").fill(user.email);
    await page.getByRole("textbox", { name: "Password" }).fill("Not-the-right-one-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong e-mail or password.");
    await expect(page).toHaveURL(/\/sign-in$/);
    expect((await page.context().cookies()).some((c) => c.name === "hd_session")).toBe(false);
  });

  test("the admin lifts the corporate-domain rule and any address may register again", async ({
    page,
    adminApi,
  }) => {
    await adminApi.patch("/api/settings/", { allowed_email_domain: domain });
    const cleared = await adminApi.raw("PATCH", "/api/settings/", { allowed_email_domain: null });
    expect(cleared.status()).toBe(200);
    await page.goto("/register");
    await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
    await expect(page.getByRole("note")).toHaveCount(0);
  });
});
