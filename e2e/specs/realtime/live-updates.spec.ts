import { uniq } from "../../fixtures/api.js";
import { card, column } from "../../fixtures/board.js";
import { expectNoReload, markNoReload, waitForLive } from "../../fixtures/live.js";
import { expect, test } from "../../fixtures/test.js";
import { message, ticketHeader } from "../../fixtures/ticket-page.js";

test.describe("#realtime live updates over the WebSocket", () => {
  test("an executor's board and queue list show a ticket the requester files meanwhile, without reload", async ({
    page,
    seed,
    signIn,
  }) => {
    // The executor works this test's queue only (`seed.desk()`), and the tickets are filed there:
    // the board and the list hold just this test's tickets, so a card cannot be pushed out of
    // sight by tickets other specs file. (The web form files into the default queue, which every
    // spec shares; filing through the API is what lets the ticket land in this test's queue.)
    const requester = await seed.user("requester");
    const executor = await seed.user("executor");
    await signIn(page, executor);
    await page.goto("/board");
    await expect(page.getByRole("heading", { name: "Board" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Open", exact: true })).toContainText("No tickets");
    await waitForLive(page);
    await markNoReload(page);

    const title = `Projector in room 5 flickers ${uniq()}`;
    const filed = await seed.ticket(requester, { title, description: "Every few seconds." });
    await expect(card(column(page, "Open"), filed)).toBeVisible();
    await expectNoReload(page);

    // The queue list updates the same way. Its ticket row, not the board's card (the board stays
    // on screen while the list's code loads), shows the list has loaded before the next ticket.
    await page
      .getByRole("navigation", { name: "Main navigation" })
      .getByRole("link", { name: "Queues" })
      .click();
    await expect(page.getByRole("heading", { level: 1, name: "Queues" })).toBeVisible();
    await expect(page.getByRole("table").getByRole("link", { name: title })).toBeVisible();
    await waitForLive(page);
    await markNoReload(page);
    const other = `Scanner stopped sending e-mails ${uniq()}`;
    await seed.ticket(requester, { title: other });
    await expect(page.getByRole("table").getByRole("link", { name: other })).toBeVisible();
    await expectNoReload(page);
  });

  test("the requester's ticket page shows the executor's reply and status change live", async ({
    page,
    seed,
    signIn,
  }) => {
    const requester = await seed.user("requester");
    const executor = await seed.user("executor");
    const ticket = await seed.ticket(requester);
    await seed.assign(ticket.id, executor);
    await signIn(page, requester);
    await page.goto(`/tickets/${ticket.id}`);
    await expect(page.getByRole("heading", { level: 1, name: ticket.title })).toBeVisible();
    // The conversation has loaded (a reply pushed while it is still loading would be lost).
    await expect(page.getByText("No messages yet. Write the first reply below.")).toBeVisible();
    await waitForLive(page);
    await markNoReload(page);

    const answer = `Try the other power socket ${uniq()}`;
    await seed.message(executor, ticket.id, answer);
    await expect(message(page, answer)).toBeVisible();
    await expect(message(page, answer)).toContainText(executor.name);
    await seed.setStatus(executor, ticket.id, "waiting_for_client");
    await expect(ticketHeader(page, ticket.id)).toContainText("Waiting for client");
    // An internal note never reaches the requester's screen.
    const note = `Probably the PSU ${uniq()}`;
    await seed.message(executor, ticket.id, note, true);
    const after = `Please confirm ${uniq()}`;
    await seed.message(executor, ticket.id, after);
    await expect(message(page, after)).toBeVisible();
    await expect(message(page, note)).toHaveCount(0);
    await expectNoReload(page);
  });

  test("two staff on one ticket see each other as also viewing and typing", async ({
    page,
    browser,
    seed,
    signIn,
  }) => {
    // Two browsers, each loading several screens.
    test.slow();
    const requester = await seed.user("requester");
    const executor = await seed.user("executor");
    const operator = await seed.user("operator");
    const ticket = await seed.ticket(requester);
    await seed.assign(ticket.id, executor);

    await signIn(page, executor);
    await page.goto(`/tickets/${ticket.id}`);
    await expect(page.getByRole("heading", { level: 1, name: ticket.title })).toBeVisible();

    const operatorContext = await browser.newContext();
    try {
      const operatorPage = await operatorContext.newPage();
      await signIn(operatorPage, operator);
      await operatorPage.goto(`/tickets/${ticket.id}`);
      await expect(operatorPage.getByRole("heading", { level: 1, name: ticket.title })).toBeVisible();

      await expect(page.getByRole("group", { name: `Also viewing: ${operator.name}` })).toBeVisible();
      await expect(operatorPage.getByRole("group", { name: `Also viewing: ${executor.name}` })).toBeVisible();

      await operatorPage.getByRole("tab", { name: "Reply" }).click();
      await operatorPage
        .getByRole("textbox", { name: "Reply" })
        .pressSequentially("We are on it", { delay: 20 });
      await expect(page.getByText(`${operator.name} is typing…`)).toBeVisible();

      await page.getByRole("tab", { name: "Internal note" }).click();
      await page
        .getByRole("textbox", { name: "Internal note" })
        .pressSequentially("Check the PSU", { delay: 20 });
      await expect(operatorPage.getByText(`${executor.name} is writing an internal note…`)).toBeVisible();

      // Leaving the ticket ends the presence.
      await operatorPage.goto("/tickets");
      await expect(page.getByRole("group", { name: /^Also viewing/ })).toHaveCount(0);
    } finally {
      await operatorContext.close();
    }
  });
});
