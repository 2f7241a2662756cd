import { expect, test } from "../../fixtures/test.js";

test.describe("#notifications.preferences in the profile", () => {
  test("switching a channel off persists after reload; Telegram waits for a linked chat", async ({
    page,
    seed,
    signIn,
  }) => {
    const executor = await seed.user("executor");
    await signIn(page, executor);
    await page.goto("/profile");
    const section = page.getByRole("region", { name: "Notifications" });
    await expect(section).toBeVisible();

    const emailOnMessage = section.getByRole("switch", { name: "New message: E-mail" });
    const pushOnAssigned = section.getByRole("switch", { name: "Ticket assigned: Browser push" });
    const sound = section.getByRole("switch", { name: "Sound" });
    await expect(emailOnMessage).toBeChecked();
    await expect(pushOnAssigned).toBeChecked();
    await expect(sound).toBeChecked();
    await expect(section.getByRole("switch", { name: "New message: Telegram" })).toBeDisabled();
    await expect(
      section.getByText("Telegram: link Telegram above to get notifications there."),
    ).toBeVisible();

    for (const control of [emailOnMessage, pushOnAssigned, sound]) {
      const saved = page.waitForResponse(
        (r) => r.url().endsWith("/api/notifications/preferences/") && r.request().method() === "PUT",
      );
      await control.click({ force: true });
      expect((await saved).status()).toBe(200);
      await expect(control).not.toBeChecked();
    }

    await page.reload();
    await expect(section.getByRole("switch", { name: "New message: E-mail" })).not.toBeChecked();
    await expect(section.getByRole("switch", { name: "Ticket assigned: Browser push" })).not.toBeChecked();
    await expect(section.getByRole("switch", { name: "Sound" })).not.toBeChecked();
    await expect(section.getByRole("switch", { name: "New message: In the app" })).toBeChecked();
    const stored = await (await seed.as(executor)).get<{
      events: Record<string, Record<string, boolean>>;
      sound: boolean;
    }>("/api/notifications/preferences/");
    expect(stored.events.new_message?.email).toBe(false);
    expect(stored.events.ticket_assigned?.web_push).toBe(false);
    expect(stored.sound).toBe(false);

    // The buttons for this browser are there; permission is never asked on load.
    await expect(section.getByRole("button", { name: "Enable system notifications" })).toBeVisible();
    await expect(section.getByRole("button", { name: /push in this browser/ })).toBeVisible();
  });
});
