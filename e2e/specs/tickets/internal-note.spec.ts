import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";
import { message } from "../../fixtures/ticket-page.js";

test.describe("#notes.create", () => {
  test("a staff internal note looks different from a reply and is never shown to the requester", async ({
    page,
    browser,
    seed,
    signIn,
  }) => {
    // Two browsers, each loading several screens.
    test.slow();
    const requester = await seed.user("requester");
    const executor = await seed.user("executor");
    const ticket = await seed.ticket(requester);
    await seed.assign(ticket.id, executor);
    const reply = `We are looking into it ${uniq()}`;
    const note = `Probably the fuser unit, order one ${uniq()}`;
    await signIn(page, executor);

    await page.goto(`/tickets/${ticket.id}`);
    await page.getByRole("textbox", { name: "Reply" }).fill(reply);
    await page.getByRole("button", { name: "Send" }).click();
    await expect(message(page, reply)).toBeVisible();

    await page.getByRole("tab", { name: "Internal note" }).click();
    const noteBox = page.getByRole("textbox", { name: "Internal note" });
    await expect(noteBox).toHaveAttribute("placeholder", "Write a note only staff can see…");
    await noteBox.fill(note);
    const posted = page.waitForResponse(
      (r) => r.url().endsWith("/api/notes/") && r.request().method() === "POST",
    );
    await page.getByRole("button", { name: "Add note" }).click();
    expect((await posted).status()).toBe(201);

    const noteItem = page.getByRole("article", { name: "Internal note" });
    await expect(noteItem).toContainText(note);
    await expect(noteItem.getByText("Internal note", { exact: true })).toBeVisible();
    const replyItem = message(page, reply);
    await expect(replyItem.getByText("Internal note", { exact: true })).toHaveCount(0);
    const background = (item: typeof noteItem) =>
      item.evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(await background(noteItem)).not.toBe(await background(replyItem));

    const requesterContext = await browser.newContext();
    const requesterPage = await requesterContext.newPage();
    await signIn(requesterPage, requester);
    const conversation = requesterPage.waitForResponse((r) =>
      r.url().includes(`/api/tickets/${ticket.id}/messages/`),
    );
    await requesterPage.goto(`/tickets/${ticket.id}`);
    expect((await conversation).ok()).toBe(true);
    await expect(message(requesterPage, reply)).toBeVisible();
    await expect(requesterPage.getByRole("article")).toHaveCount(1);
    await expect(requesterPage.getByRole("article", { name: "Internal note" })).toHaveCount(0);
    await expect(requesterPage.getByRole("tab", { name: "Internal note" })).toHaveCount(0);
    expect(await requesterPage.content()).not.toContain(note);
    await requesterContext.close();
  });
});
