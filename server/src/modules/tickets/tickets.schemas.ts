import { ZBigId } from "@helpdesk/contracts";
import { z } from "zod";

export const ZTicketIdParams = z.strictObject({ id: ZBigId });

/** Response schemas live in contracts (the web imports their types). */
export { ZTicket, ZTicketPage } from "@helpdesk/contracts";
