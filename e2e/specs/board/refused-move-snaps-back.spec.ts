import { uniq } from "../../fixtures/api.js";
import { card, column, moveWithMouse } from "../../fixtures/board.js";
import { expect, test } from "../../fixtures/test.js";

test.describe("#tickets.update refused on the board", () => {
  test("an executor dragging a colleague's ticket sees it snap back with a permission message", async ({
    page,
    seed,
    signIn,
  }) => {
    const requester = await seed.user("requester");
    const colleague = await seed.user("executor");
    const executor = await seed.user("executor");
    const ticket = await seed.ticket(requester, { title: `Colleague's ticket ${uniq()}` });
    await seed.assign(ticket.id, colleague);
    await signIn(page, executor);

    // Both executors work this test's queue (`seed.desk()`), so the colleague's card is on the board.
    await page.goto(`/board?assignee_id=${colleague.id}`);
    const openCard = card(column(page, "Open"), ticket);
    await expect(openCard).toBeVisible();

    const refused = page.waitForResponse(
      (r) => r.url().endsWith(`/api/tickets/${ticket.id}/`) && r.request().method() === "PATCH",
    );
    await moveWithMouse(page, openCard, ticket.id, "In progress");
    expect((await refused).status()).toBe(403);

    await expect(page.getByRole("alert").filter({ hasText: /permission|cannot/i })).toBeVisible();
    await expect(card(column(page, "Open"), ticket)).toBeVisible();
    await expect(card(column(page, "In progress"), ticket)).toHaveCount(0);
    expect((await seed.getTicket(ticket.id)).status).toBe("open");
  });
});
