import { ActionIcon, Indicator, Loader, Popover } from "@mantine/core";
import { notifications as toasts } from "@mantine/notifications";
import { IconBell } from "@tabler/icons-react";
import { lazy, Suspense, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useUnreadNotifications } from "../api";
import { markSeen, setCentreOpen } from "../attention";

const NotificationCenter = lazy(() => import("./notification-center.component"));

/** The header bell: unread count, and the notification centre in a popover (loaded on first open). */
export function NotificationBell() {
  const { t } = useTranslation();
  const unread = useUnreadNotifications();
  const [opened, setOpened] = useState(false);
  const count = unread.data?.unread_count ?? 0;

  useEffect(() => {
    setCentreOpen(opened);
    return () => setCentreOpen(false);
  }, [opened]);

  const toggle = () => {
    const next = !opened;
    setOpened(next);
    const newest = unread.data?.results[0];
    if (next && newest) markSeen(newest.id);
    // The centre lists them all; toasts on top of it would only hide it.
    if (next) toasts.clean();
  };

  return (
    <Popover
      opened={opened}
      onChange={setOpened}
      position="bottom-end"
      width="min(380px, calc(100vw - 16px))"
      shadow="md"
      withinPortal
      trapFocus
      returnFocus
    >
      <Popover.Target>
        <Indicator
          label={count > 99 ? "99+" : count}
          size={18}
          offset={4}
          color="red"
          disabled={count === 0}
          inline
        >
          <ActionIcon
            variant="default"
            size="lg"
            onClick={toggle}
            aria-label={count > 0 ? t("notifications.bellUnread", { count }) : t("notifications.bell")}
            aria-expanded={opened}
            aria-haspopup="dialog"
          >
            <IconBell size={18} />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown p={0} aria-label={t("notifications.title")} role="dialog">
        {opened ? (
          <Suspense fallback={<Loader size="sm" m="md" />}>
            <NotificationCenter onClose={() => setOpened(false)} />
          </Suspense>
        ) : null}
      </Popover.Dropdown>
    </Popover>
  );
}
