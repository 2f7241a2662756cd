import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";

test.describe("#tickets.retrieve access", () => {
  test("a requester opening another requester's ticket by URL sees not-found and none of its data", async ({
    page,
    seed,
    signIn,
  }) => {
    const owner = await seed.user("requester");
    const stranger = await seed.user("requester");
    const secret = `Salary spreadsheet ${uniq()}`;
    const detail = `bank account ${uniq()}`;
    const ticket = await seed.ticket(owner, { title: secret, description: detail });
    await signIn(page, stranger);

    const answer = page.waitForResponse((r) => r.url().endsWith(`/api/tickets/${ticket.id}/`));
    await page.goto(`/tickets/${ticket.id}`);
    expect((await answer).status()).toBe(404);

    await expect(page.getByText("Page not found")).toBeVisible();
    await expect(page.getByText("This ticket does not exist or you cannot see it.")).toBeVisible();
    await expect(page.getByRole("link", { name: "Go to the start page" })).toBeVisible();
    const html = await page.content();
    expect(html).not.toContain(secret);
    expect(html).not.toContain(detail);
    expect(html).not.toContain(owner.name);
    await expect(page.getByRole("heading", { level: 1 })).toHaveCount(0);

    await page.getByRole("link", { name: "Go to the start page" }).click();
    await expect(page.getByRole("heading", { name: "My requests" })).toBeVisible();
    await expect(page.getByRole("link", { name: secret })).toHaveCount(0);
  });
});
