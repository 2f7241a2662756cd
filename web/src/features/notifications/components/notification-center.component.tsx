import {
  Box,
  Button,
  Divider,
  Group,
  ScrollArea,
  Skeleton,
  Stack,
  Text,
  UnstyledButton,
  VisuallyHidden,
} from "@mantine/core";
import { IconChecks } from "@tabler/icons-react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../../../shared/api/client";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { formatRelative } from "../../../shared/format";
import {
  type AppNotification,
  listKey,
  type NotificationPage,
  useMarkAllRead,
  useUnreadNotifications,
} from "../api";
import { useOpenNotification } from "../use-live-notifications";

/** Every notification, newest first, paged: the notification centre. */
function useNotificationList(enabled: boolean) {
  return useInfiniteQuery({
    queryKey: listKey,
    queryFn: ({ pageParam, signal }) =>
      api.get<NotificationPage>("/api/notifications/", { cursor: pageParam, limit: 20 }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    enabled,
  });
}

function Item({ n, onOpen }: { n: AppNotification; onOpen: (n: AppNotification) => void }) {
  const { t, i18n } = useTranslation();
  const unread = !n.read_at;
  return (
    <UnstyledButton
      onClick={() => onOpen(n)}
      px="md"
      py="sm"
      w="100%"
      data-unread={unread || undefined}
      style={{
        display: "block",
        borderBottom: "1px solid var(--mantine-color-default-border)",
        background: unread ? "var(--mantine-color-blue-light)" : undefined,
      }}
    >
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Box
          w={8}
          h={8}
          mt={6}
          style={{
            flex: "none",
            borderRadius: "50%",
            background: unread ? "var(--mantine-color-blue-filled)" : "transparent",
          }}
        />
        <Box miw={0} flex={1}>
          <Text size="sm" fw={unread ? 700 : 500} lineClamp={1}>
            {unread ? <VisuallyHidden>{t("notifications.unread")}: </VisuallyHidden> : null}
            {n.title}
          </Text>
          <Text size="xs" c="dimmed" lineClamp={2} style={{ overflowWrap: "anywhere" }}>
            {n.body}
          </Text>
          <Text size="xs" c="dimmed" component="time" dateTime={n.created_at}>
            {formatRelative(n.created_at, i18n.language)}
          </Text>
        </Box>
      </Group>
    </UnstyledButton>
  );
}

/** The list of notifications, newest first, with "mark all read" (lazy-loaded by the bell). */
export default function NotificationCenter({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const unread = useUnreadNotifications();
  const list = useNotificationList(true);
  const markAll = useMarkAllRead();
  const open = useOpenNotification();
  const items = list.data?.pages.flatMap((p) => p.results) ?? [];
  const count = unread.data?.unread_count ?? 0;

  return (
    <Stack gap={0}>
      <Group justify="space-between" px="md" py="xs" wrap="nowrap">
        <Text fw={700} size="sm">
          {t("notifications.title")}
        </Text>
        <Button
          size="compact-xs"
          variant="subtle"
          leftSection={<IconChecks size={14} />}
          disabled={count === 0}
          loading={markAll.isPending}
          onClick={() => markAll.mutate()}
        >
          {t("notifications.markAllRead")}
        </Button>
      </Group>
      <Divider />
      <ScrollArea.Autosize mah="min(480px, 70vh)" type="auto">
        {list.isPending ? (
          <Stack p="md" gap="xs">
            <Skeleton height={40} />
            <Skeleton height={40} />
          </Stack>
        ) : list.isError ? (
          <Box p="sm">
            <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
          </Box>
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed" p="md" ta="center">
            {t("notifications.empty")}
          </Text>
        ) : (
          <Box component="ul" aria-label={t("notifications.title")} m={0} p={0} style={{ listStyle: "none" }}>
            {items.map((n) => (
              <li key={n.id}>
                <Item
                  n={n}
                  onOpen={(item) => {
                    onClose();
                    open(item);
                  }}
                />
              </li>
            ))}
          </Box>
        )}
        {list.hasNextPage ? (
          <Group justify="center" p="xs">
            <Button
              size="compact-sm"
              variant="subtle"
              loading={list.isFetchingNextPage}
              onClick={() => void list.fetchNextPage()}
            >
              {t("notifications.loadMore")}
            </Button>
          </Group>
        ) : null}
      </ScrollArea.Autosize>
    </Stack>
  );
}
