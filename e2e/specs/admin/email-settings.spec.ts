import { uniq } from "../../fixtures/api.js";
import { expect, test } from "../../fixtures/test.js";

type TSmtp = { host: string; port: number; secure: boolean; user: string; from: string; delivery: string };

test.describe("#admin.email settings", () => {
  test("an admin sets up SMTP, sends a test e-mail that lands in the outbox, and adds a mailbox", async ({
    page,
    seed,
    signIn,
    adminApi,
  }) => {
    test.slow();
    const admin = await seed.user("admin");
    const to = `smtp-test-${uniq()}@example.com`;
    const mailboxName = `Support inbox ${uniq()}`;
    await signIn(page, admin);

    try {
      await page.goto("/admin/email");
      await expect(page.getByRole("tab", { name: "E-mail", selected: true })).toBeVisible();
      const host = page.getByRole("textbox", { name: "SMTP server" });
      await expect(host).toBeVisible();

      // Save an SMTP server nobody listens on: the test e-mail then fails with a translated error.
      await host.fill("127.0.0.1");
      await page.getByRole("textbox", { name: "Port" }).fill("1");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await expect(page.getByText("Saved", { exact: true })).toBeVisible();
      const saved = await adminApi.get<TSmtp>("/api/admin/email/smtp/");
      expect(saved).toMatchObject({ host: "127.0.0.1", port: 1, delivery: "smtp" });

      await page.getByRole("textbox", { name: "Send to" }).fill(to);
      await page.getByRole("button", { name: "Send test e-mail" }).click();
      const failure = page.getByRole("alert").filter({ hasText: "Test e-mail not sent" });
      await expect(failure).toBeVisible({ timeout: 20_000 });
      await expect(failure).toContainText("The mail server could not be reached or refused the mail.");

      // Without an SMTP server the mail is kept in the outbox instead.
      await host.fill("");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await expect(page.getByText("No SMTP server is configured")).toBeVisible();
      await page.getByRole("button", { name: "Send test e-mail" }).click();
      const kept = page.getByRole("status").filter({ hasText: "Test e-mail kept in the Outbox" });
      await expect(kept).toContainText(to);
      await kept.getByRole("link", { name: "Open the Outbox" }).click();

      await expect(page).toHaveURL(/\/admin\/outbox$/);
      const outbox = page.getByRole("table", { name: "Outbox" });
      const row = outbox.getByRole("row").filter({ hasText: to });
      // The outbox lists every mail of the server, newest first, a page at a time, and the other
      // specs' notification mails keep arriving: page on until this test's mail is listed.
      const loadMore = page.getByRole("button", { name: "Load more" });
      await expect(async () => {
        if ((await row.count()) === 0 && (await loadMore.isVisible())) {
          await loadMore.click();
        }
        await expect(row).toHaveCount(1, { timeout: 1_000 });
      }).toPass({ timeout: 20_000 });
      await expect(row).toContainText("e-mail test");
      await row.getByRole("button").first().click();
      const mail = page.getByRole("dialog");
      await expect(mail).toContainText(to);
      // The HTML part is shown in a frame without any sandbox permissions.
      await expect(mail.locator("iframe")).toHaveAttribute("sandbox", "");
      await mail.getByRole("tab", { name: "Text" }).click();
      await expect(mail).toContainText("If you can read this, outgoing e-mail is configured correctly.");
      await page.keyboard.press("Escape");
      await expect(mail).toBeHidden();

      // A mailbox added in the dialog appears in the table.
      await page.getByRole("tab", { name: "Mailboxes" }).click();
      await expect(page).toHaveURL(/\/admin\/mailboxes$/);
      await page.getByRole("button", { name: "Add mailbox" }).click();
      const dialog = page.getByRole("dialog", { name: "Add mailbox" });
      await dialog.getByRole("textbox", { name: "Name", exact: true }).fill(mailboxName);
      await dialog.getByRole("textbox", { name: "IMAP server" }).fill("127.0.0.1");
      await dialog.getByRole("textbox", { name: "Port" }).fill("1");
      await dialog.getByRole("textbox", { name: "User name" }).fill("support@example.com");
      await dialog.getByRole("textbox", { name: "Password", exact: true }).fill("imap-password-1");
      // Switched off, so the IMAP worker does not poll a server that is not there.
      await dialog.getByRole("switch", { name: "Fetch mail from this mailbox" }).uncheck({ force: true });
      await dialog.getByRole("button", { name: "Create" }).click();
      await expect(dialog).toBeHidden();
      await expect(page.getByText("Mailbox added")).toBeVisible();

      const mailbox = page
        .getByRole("table", { name: "Mailboxes" })
        .getByRole("row")
        .filter({ hasText: mailboxName });
      await expect(mailbox).toContainText("127.0.0.1:1");
      await expect(mailbox).toContainText("support@example.com");
      await expect(mailbox).toContainText("INBOX");
      await expect(mailbox).toContainText("Disabled");
      await expect(mailbox).toContainText("Not fetched yet");

      // Its connection test reports the failure, and the row keeps the last error.
      await mailbox.getByRole("button", { name: `Test connection ${mailboxName}` }).click();
      await expect(
        page.getByRole("status").filter({ hasText: `${mailboxName}: connection failed` }),
      ).toBeVisible({
        timeout: 20_000,
      });
      await expect(mailbox).toContainText("Error");
    } finally {
      // Leave mail going to the outbox for the other specs, whatever happened above.
      await page.request.put("/api/admin/email/smtp/", {
        data: { host: "", port: 587, secure: false, user: "", from: "" },
      });
    }
  });
});
