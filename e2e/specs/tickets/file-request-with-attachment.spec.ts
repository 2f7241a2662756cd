import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";

test.describe("#tickets.create from the web form", () => {
  test("a requester files a request with an attachment and the ticket page links the file", async ({
    page,
    seed,
    signIn,
  }) => {
    const requester = await seed.user("requester");
    await signIn(page, requester);
    const title = `VPN drops every ten minutes ${uniq()}`;
    const filename = `vpn-log-${uniq()}.txt`;
    const content = "08:00 connected\n08:10 disconnected\n";

    await page.goto("/");
    await expect(page.getByRole("heading", { name: "My requests" })).toBeVisible();
    await page
      .getByRole("navigation", { name: "Main navigation" })
      .getByRole("link", { name: "New request" })
      .click();
    await expect(page.getByRole("heading", { name: "New request" })).toBeVisible();

    await page.getByRole("textbox", { name: "Title" }).fill(title);
    await page.getByRole("textbox", { name: "Description" }).fill("Since Monday the VPN client drops.");
    const uploaded = page.waitForResponse(
      (r) => r.url().endsWith("/api/upload/") && r.request().method() === "POST",
    );
    // The drop zone's hidden file input is what "click to choose" opens.
    await page
      .locator("input[type=file]")
      .setInputFiles({ name: filename, mimeType: "text/plain", buffer: Buffer.from(content) });
    expect((await uploaded).status()).toBe(201);
    await expect(page.getByRole("progressbar", { name: `Uploading ${filename}` })).toHaveAttribute(
      "aria-valuenow",
      "100",
    );
    await expect(page.getByRole("button", { name: `Remove ${filename}` })).toBeVisible();

    const created = page.waitForResponse(
      (r) => r.url().endsWith("/api/tickets/") && r.request().method() === "POST",
    );
    await page.getByRole("button", { name: "Send request" }).click();
    const ticket = (await (await created).json()) as { id: number };
    await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
    await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
    await expect(page.getByText(`Request #${ticket.id} created`)).toBeVisible();

    const link = page.getByRole("link", { name: new RegExp(filename) });
    await expect(link).toBeVisible();
    const href = await link.getAttribute("href");
    expect(href).toBeTruthy();
    const download = await page.request.get(href ?? "");
    expect(download.status()).toBe(200);
    expect(await download.text()).toBe(content);

    await page
      .getByRole("navigation", { name: "Main navigation" })
      .getByRole("link", { name: "My requests" })
      .click();
    await expect(page.getByRole("link", { name: title })).toBeVisible();
  });
});
