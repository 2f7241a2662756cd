import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";

test.describe("#tickets.assign by an operator", () => {
  test("an operator assigns a ticket from its page through the executor load dialog", async ({
    page,
    seed,
    signIn,
  }) => {
    const requester = await seed.user("requester");
    const operator = await seed.user("operator");
    const busy = await seed.user("executor");
    const free = await seed.user("executor");
    const ticket = await seed.ticket(requester);
    await seed.assign((await seed.ticket(requester)).id, busy);
    await signIn(page, operator);

    await page.goto(`/tickets/${ticket.id}`);
    await expect(page.getByRole("heading", { level: 1, name: ticket.title })).toBeVisible();
    await page.getByRole("button", { name: "Assign", exact: true }).click();

    const dialog = page.getByRole("dialog", { name: "Assign executor" });
    await expect(dialog).toBeVisible();
    // Narrow the list to this test's executors; each shows their open-ticket load.
    await dialog.getByRole("textbox", { name: "Find an executor" }).fill(busy.name);
    await expect(dialog.getByRole("radio")).toHaveCount(1);
    await expect(dialog.getByText("1 open")).toBeVisible();
    await dialog.getByRole("textbox", { name: "Find an executor" }).fill(free.name);
    await expect(dialog.getByText("0 open")).toBeVisible();
    await dialog.getByRole("radio", { name: free.name }).check();
    const assigned = page.waitForResponse((r) => r.url().endsWith(`/api/tickets/${ticket.id}/assign/`));
    await dialog.getByRole("button", { name: "Assign", exact: true }).click();
    expect((await assigned).status()).toBe(200);

    await expect(dialog).toBeHidden();
    await expect(page.getByText(`Ticket assigned to ${free.name}`)).toBeVisible();
    await expect(page.getByRole("row", { name: `Assignee ${free.name}` })).toBeVisible();
    await expect(page.getByRole("button", { name: "Reassign" })).toBeVisible();
    expect((await seed.getTicket(ticket.id)).assignee?.id).toBe(free.id);
  });

  test("an operator bulk-assigns selected tickets on all tickets", async ({ page, seed, signIn }) => {
    const word = `bulk${uniq()}`;
    const requester = await seed.user("requester");
    const operator = await seed.user("operator");
    const executor = await seed.user("executor");
    const first = await seed.ticket(requester, { title: `Monitor flickers ${word}` });
    const second = await seed.ticket(requester, { title: `Keyboard missing keys ${word}` });
    await signIn(page, operator);

    await page.goto(`/tickets?q=${word}`);
    await expect(page.getByRole("link", { name: first.title })).toBeVisible();
    await page.getByRole("checkbox", { name: `Select ticket #${first.id}` }).check();
    await page.getByRole("checkbox", { name: `Select ticket #${second.id}` }).check();
    const bar = page.getByRole("region", { name: "Assign selected" });
    await expect(bar).toContainText("2 selected");
    await bar.getByRole("button", { name: "Assign selected" }).click();

    const dialog = page.getByRole("dialog", { name: "Assign executor" });
    await dialog.getByRole("textbox", { name: "Find an executor" }).fill(executor.name);
    await expect(dialog.getByText("0 open")).toBeVisible();
    await dialog.getByRole("radio", { name: executor.name }).check();
    await dialog.getByRole("button", { name: "Assign", exact: true }).click();

    await expect(page.getByText(`2 tickets assigned to ${executor.name}`)).toBeVisible();
    await expect(dialog).toBeHidden();
    await expect(bar).toBeHidden();
    for (const ticket of [first, second]) {
      const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: ticket.title }) });
      await expect(row).toContainText(executor.name);
    }
    expect((await seed.getTicket(first.id)).assignee?.id).toBe(executor.id);
    expect((await seed.getTicket(second.id)).assignee?.id).toBe(executor.id);
  });
});
