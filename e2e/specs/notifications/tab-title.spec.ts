import type { Page } from "@playwright/test";
import { uniq } from "../../fixtures/api.js";
import { waitForLive } from "../../fixtures/live.js";
import { expect, test } from "../../fixtures/test.js";
import { message } from "../../fixtures/ticket-page.js";

/** Notification fan-out runs as a background job: allow it a little longer than a screen update. */
const ARRIVAL = { timeout: 15_000 };

/** The page's first answer to its unread-notifications query (the bell and the title read it). */
function unreadListLoaded(page: Page): Promise<unknown> {
  return page.waitForResponse(
    (r) => r.url().includes("/api/notifications/?unread=true") && r.request().method() === "GET",
  );
}

/**
 * The title is `title` and keeps it for longer than one blink (1 s): every change of the title
 * in that time is recorded in the page, and each must be `title` again. (A single look after a
 * pause could fall on the plain half of a blink.)
 */
async function expectTitleStays(page: Page, title: string): Promise<void> {
  await expect(page).toHaveTitle(title);
  const titles = await page.evaluate(async (ms) => {
    const seen = [document.title];
    const observer = new MutationObserver(() => seen.push(document.title));
    observer.observe(document.head, { subtree: true, childList: true, characterData: true });
    await new Promise((resolve) => setTimeout(resolve, ms));
    observer.disconnect();
    return seen;
  }, 1_200);
  expect(titles, `the title stays “${title}”`).toEqual(titles.map(() => title));
}

test.describe("#notifications in the browser tab", () => {
  test("a new message on my ticket puts “(1) …” in the tab title and the bell; the centre and the ticket reset it", async ({
    page,
    seed,
    signIn,
  }) => {
    test.slow();
    const requester = await seed.user("requester");
    const executor = await seed.user("executor");
    const ticket = await seed.ticket(requester, { title: `VPN drops every hour ${uniq()}` });
    await seed.assign(ticket.id, executor);
    // The assignment notifies the requester too (a background job): wait for it, then read it.
    const requesterApi = await seed.as(requester);
    await expect
      .poll(
        async () =>
          (await requesterApi.get<{ unread_count: number }>("/api/notifications/?unread=true")).unread_count,
        { message: "the assignment notification arrived", timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    await requesterApi.post("/api/notifications/read-all/", {});
    await signIn(page, requester);
    // The unread list has loaded and the page is live before the message: a notification pushed
    // while the first load of the unread list is still in flight would not refresh it.
    let unreadLoaded = unreadListLoaded(page);
    await page.goto("/my");
    await expect(page.getByRole("link", { name: ticket.title })).toBeVisible();
    await unreadLoaded;
    await waitForLive(page);
    const bell = page.getByRole("button", { name: /^Notifications/ });
    await expect(bell).toHaveAccessibleName("Notifications");
    await expect(page).toHaveTitle("Helpdesk");

    await seed.message(executor, ticket.id, "Please reinstall the VPN client.");
    const alert = `(1) #${ticket.id} New message — Helpdesk`;
    await expect(page).toHaveTitle(alert, ARRIVAL);
    await expect(bell).toHaveAccessibleName("Notifications: 1 unread");
    // The in-app toast.
    await expect(
      page.getByRole("alert").filter({ hasText: "Please reinstall the VPN client." }),
    ).toBeVisible();
    // The title blinks: it alternates with the plain one.
    await expect(page).toHaveTitle("Helpdesk");
    await expect(page).toHaveTitle(alert);

    // Opening the centre acknowledges it: the title settles back, the message stays unread.
    await bell.click();
    const centre = page.getByRole("dialog", { name: "Notifications" });
    const item = centre.getByRole("button", { name: new RegExp(`Unread: #${ticket.id} New message`) });
    await expect(item).toBeVisible();
    await expectTitleStays(page, "Helpdesk");
    await expect(bell).toHaveAccessibleName("Notifications: 1 unread");

    // Clicking it opens the ticket and marks it read.
    await item.click();
    await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
    await expect(message(page, "Please reinstall the VPN client.")).toBeVisible();
    await expect(bell).toHaveAccessibleName("Notifications");

    // A second message while I am elsewhere: opening the ticket (not the centre) resets it.
    unreadLoaded = unreadListLoaded(page);
    await page.goto("/my");
    await expect(page.getByRole("link", { name: ticket.title })).toBeVisible();
    await unreadLoaded;
    await waitForLive(page);
    await seed.message(executor, ticket.id, "Did that help?");
    await expect(page).toHaveTitle(`(1) #${ticket.id} New message — Helpdesk`, ARRIVAL);
    await expect(bell).toHaveAccessibleName("Notifications: 1 unread");
    await page.getByRole("link", { name: ticket.title }).click();
    await expect(message(page, "Did that help?")).toBeVisible();
    await expect(bell).toHaveAccessibleName("Notifications");
    await expectTitleStays(page, "Helpdesk");

    // "Mark all read" in the centre lists it as read.
    await bell.click();
    await expect(centre.getByRole("button", { name: /Did that help\?/ })).toBeVisible();
    await expect(centre.getByRole("button", { name: /^Unread:/ })).toHaveCount(0);
    await expect(centre.getByRole("button", { name: "Mark all read" })).toBeDisabled();
  });
});
