import type { TRole } from "@helpdesk/contracts";

/** `badge`: a live count shown beside the label (`inbox`: unread chat messages). */
export type NavItem = { to: string; labelKey: string; icon: string; badge?: "inbox" };

const ITEMS = {
  mine: { to: "/my", labelKey: "nav.myRequests", icon: "inbox" },
  newRequest: { to: "/new", labelKey: "nav.newRequest", icon: "plus" },
  inbox: { to: "/inbox", labelKey: "inbox.nav", icon: "messages", badge: "inbox" },
  assigned: { to: "/assigned", labelKey: "nav.assigned", icon: "user" },
  queues: { to: "/queues", labelKey: "nav.queues", icon: "stack" },
  board: { to: "/board", labelKey: "nav.board", icon: "board" },
  all: { to: "/tickets", labelKey: "nav.allTickets", icon: "list" },
  archive: { to: "/archive", labelKey: "nav.archive", icon: "archive" },
  admin: { to: "/admin", labelKey: "nav.admin", icon: "settings" },
} satisfies Record<string, NavItem>;

/** Navigation entries per role (admin sees everything). */
export function navItemsFor(role: TRole): NavItem[] {
  switch (role) {
    case "requester":
      return [ITEMS.mine, ITEMS.newRequest];
    case "executor":
      return [ITEMS.assigned, ITEMS.inbox, ITEMS.queues, ITEMS.board];
    case "operator":
      return [ITEMS.all, ITEMS.inbox, ITEMS.board, ITEMS.archive];
    case "admin":
      return [
        ITEMS.all,
        ITEMS.inbox,
        ITEMS.assigned,
        ITEMS.queues,
        ITEMS.board,
        ITEMS.archive,
        ITEMS.newRequest,
        ITEMS.admin,
      ];
  }
}

/** The start page of a role. */
export function homePathFor(role: TRole): string {
  return navItemsFor(role)[0]?.to ?? "/tickets";
}

export function isStaff(role: TRole): boolean {
  return role !== "requester";
}

export function canDispatch(role: TRole): boolean {
  return role === "operator" || role === "admin";
}
