import { Badge } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useUnreadTotal } from "../api";

/** The nav item's count of unread messages over all the caller's chats (nothing when none). */
export function InboxNavBadge() {
  const { t } = useTranslation();
  const unread = useUnreadTotal(true);
  if (!unread.data || unread.data.total === 0) return null;
  const { total, more } = unread.data;
  const shown = total > 99 ? "99+" : `${total}${more ? "+" : ""}`;
  return (
    <Badge size="sm" color="red" variant="filled" aria-label={t("inbox.unreadLabel", { count: total })}>
      {shown}
    </Badge>
  );
}
