import { uniq } from "../../fixtures/api.js";
import { card, column, moveWithKeyboard } from "../../fixtures/board.js";
import { awaitOthersChanges, waitForLive } from "../../fixtures/live.js";
import { expect, test } from "../../fixtures/test.js";
import { message, ticketHeader } from "../../fixtures/ticket-page.js";

test.describe("#tickets.update on the board, #messages.create, #tickets.execute", () => {
  test("an executor moves an assigned ticket to in progress, answers and closes it, and the requester sees both", async ({
    page,
    browser,
    seed,
    signIn,
  }) => {
    // Two browsers, each loading several screens.
    test.slow();
    const requester = await seed.user("requester");
    const executor = await seed.user("executor");
    const ticket = await seed.ticket(requester, { title: `Laptop does not charge ${uniq()}` });
    await seed.assign(ticket.id, executor);
    const answer = "Replaced the charger; it charges again.";

    // The requester keeps their ticket open in another browser while the executor works.
    const requesterContext = await browser.newContext();
    const requesterPage = await requesterContext.newPage();
    await signIn(requesterPage, requester);
    await requesterPage.goto(`/tickets/${ticket.id}`);
    await expect(requesterPage.getByRole("heading", { level: 1, name: ticket.title })).toBeVisible();
    await expect(ticketHeader(requesterPage, ticket.id)).toContainText("Open");
    // Loaded and live before the executor changes anything, so no change can slip in unseen.
    await expect(requesterPage.getByText("No messages yet. Write the first reply below.")).toBeVisible();
    await waitForLive(requesterPage);

    await signIn(page, executor);
    await page.goto("/board?assignee_id=me");
    await expect(page.getByRole("heading", { name: "Board" })).toBeVisible();
    const openCard = card(column(page, "Open"), ticket);
    await expect(openCard).toBeVisible();

    const moved = page.waitForResponse(
      (r) => r.url().endsWith(`/api/tickets/${ticket.id}/`) && r.request().method() === "PATCH",
    );
    await moveWithKeyboard(page, openCard, ticket.id, [{ key: "ArrowRight", over: "In progress" }]);
    expect((await moved).status()).toBe(200);
    await expect(card(column(page, "In progress"), ticket)).toBeVisible();
    await expect(card(column(page, "Open"), ticket)).toHaveCount(0);
    await expect(page.getByText(`Ticket #${ticket.id} moved to “In progress”`)).toBeVisible();

    await card(column(page, "In progress"), ticket).getByRole("link", { name: ticket.title }).click();
    await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
    await expect(page.getByRole("heading", { level: 1, name: ticket.title })).toBeVisible();
    await expect(page.getByRole("combobox", { name: "Change status" })).toHaveValue("In progress");

    await page.getByRole("tab", { name: "Reply" }).click();
    await page.getByRole("textbox", { name: "Reply" }).fill(answer);
    await page.getByRole("button", { name: "Send" }).click();
    const conversation = message(page, answer);
    await expect(conversation).toBeVisible();
    await expect(conversation).toContainText(executor.name);
    await expect(page.getByRole("textbox", { name: "Reply" })).toHaveValue("");

    await page.getByRole("button", { name: "Mark as done" }).click();
    const dialog = page.getByRole("dialog", { name: `Complete ticket #${ticket.id}` });
    await dialog
      .getByRole("textbox", { name: "Comment for the requester (optional)" })
      .fill("Closing, all good.");
    const executed = page.waitForResponse((r) => r.url().endsWith(`/api/tickets/${ticket.id}/execute/`));
    await dialog.getByRole("button", { name: "Mark as done" }).click();
    expect((await executed).status()).toBe(200);
    await expect(dialog).toBeHidden();
    await expect(page.getByText("Ticket completed")).toBeVisible();
    await expect(page.getByRole("combobox", { name: "Change status" })).toHaveValue("Closed");
    await expect(page.getByRole("button", { name: "Mark as done" })).toHaveCount(0);

    await awaitOthersChanges(requesterPage);
    await expect(message(requesterPage, answer)).toBeVisible();
    await expect(message(requesterPage, "Closing, all good.")).toBeVisible();
    await expect(ticketHeader(requesterPage, ticket.id)).toContainText("Closed");
    await expect(ticketHeader(requesterPage, ticket.id)).not.toContainText("Open");
    await requesterContext.close();
  });
});
