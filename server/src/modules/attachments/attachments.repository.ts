import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { attachments, ticketMessages } from "../../platform/db/schema/index.js";

export type TAttachmentRow = typeof attachments.$inferSelect;

export async function findAttachmentById(db: DbOrTx, id: string): Promise<TAttachmentRow | undefined> {
  const [row] = await db.select().from(attachments).where(eq(attachments.id, id));
  return row;
}

/** Whether the message is an internal note; undefined when there is no such message. */
export async function findMessageIsInternal(db: DbOrTx, messageId: number): Promise<boolean | undefined> {
  const [row] = await db
    .select({ isInternal: ticketMessages.isInternal })
    .from(ticketMessages)
    .where(eq(ticketMessages.id, messageId));
  return row?.isInternal;
}
