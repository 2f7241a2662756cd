import type { TChat } from "@helpdesk/contracts";
import {
  Anchor,
  Badge,
  Box,
  Group,
  Loader,
  SegmentedControl,
  Skeleton,
  Stack,
  Text,
  TextInput,
  UnstyledButton,
} from "@mantine/core";
import { useIntersection } from "@mantine/hooks";
import { IconInbox, IconSearch } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { formatRelative } from "../../../shared/format";
import { type ChatFilter, useChatList } from "../api";
import { ChannelIcon } from "./channel-icon.component";
import classes from "./inbox.module.css";
import { PersonAvatar } from "./person-avatar.component";

function ChatRow({ chat, selected }: { chat: TChat; selected: boolean }) {
  const { t, i18n } = useTranslation();
  const preview = chat.last_message
    ? `${chat.last_message.direction === "out" ? t("inbox.youPrefix") : ""}${chat.last_message.text}`
    : t("inbox.noMessagesYet");
  const unread = chat.unread_count > 0;
  return (
    <UnstyledButton
      component={Link}
      to={`/inbox/${chat.id}`}
      className={classes.chatRow}
      data-selected={selected || undefined}
      aria-current={selected ? "page" : undefined}
    >
      <Group gap="sm" wrap="nowrap" align="flex-start">
        <Box pt={2}>
          <ChannelIcon channel={chat.channel} size={20} />
        </Box>
        <Stack gap={2} flex={1} miw={0}>
          <Group gap="xs" wrap="nowrap" justify="space-between">
            <Text size="sm" fw={unread ? 700 : 500} truncate>
              {chat.title}
            </Text>
            <Text
              size="xs"
              c="dimmed"
              component="time"
              dateTime={chat.last_message_at}
              style={{ flexShrink: 0 }}
            >
              {formatRelative(chat.last_message_at, i18n.language)}
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap" justify="space-between">
            <Text size="sm" c={unread ? undefined : "dimmed"} truncate flex={1} miw={0}>
              {preview}
            </Text>
            {unread ? (
              <Badge size="sm" circle={chat.unread_count < 10} color="blue" style={{ flexShrink: 0 }}>
                <span className={classes.visuallyHidden}>
                  {t("inbox.unreadLabel", { count: chat.unread_count })}
                </span>
                <span aria-hidden>{chat.unread_count > 99 ? "99+" : chat.unread_count}</span>
              </Badge>
            ) : null}
          </Group>
          <Group gap={6} wrap="nowrap" miw={0}>
            {chat.assignee ? (
              <>
                <PersonAvatar name={chat.assignee.name} size={18} />
                <Text size="xs" c="dimmed" truncate>
                  {chat.assignee.name}
                </Text>
              </>
            ) : (
              <Text size="xs" c="orange" fw={500}>
                {t("inbox.unassigned")}
              </Text>
            )}
            {chat.ticket_status === "closed" ? (
              <Badge size="xs" variant="light" color="gray" style={{ flexShrink: 0 }}>
                {t("inbox.closedBadge")}
              </Badge>
            ) : null}
          </Group>
        </Stack>
      </Group>
    </UnstyledButton>
  );
}

function ListSkeleton() {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" p="xs" aria-busy="true" aria-label={t("inbox.loading")}>
      {[0, 1, 2, 3, 4, 5].map((i) => (
        <Group key={i} gap="sm" wrap="nowrap" align="flex-start">
          <Skeleton circle height={20} />
          <Stack gap={6} flex={1}>
            <Skeleton height={12} width="60%" />
            <Skeleton height={10} />
            <Skeleton height={8} width="30%" />
          </Stack>
        </Group>
      ))}
    </Stack>
  );
}

function EmptyList({
  filter,
  searching,
  showAdminLink,
}: {
  filter: ChatFilter;
  searching: boolean;
  showAdminLink: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Stack align="center" gap="xs" p="xl" ta="center">
      <IconInbox size={36} color="var(--mantine-color-dimmed)" aria-hidden />
      {searching ? (
        <Text size="sm" c="dimmed">
          {t("inbox.noMatches")}
        </Text>
      ) : filter === "all" ? (
        <>
          <Text fw={600}>{t("inbox.empty.title")}</Text>
          <Text size="sm" c="dimmed">
            {t("inbox.empty.hint")}
          </Text>
          {showAdminLink ? (
            <Anchor component={Link} to="/admin/telegram" size="sm">
              {t("inbox.empty.link")}
            </Anchor>
          ) : null}
        </>
      ) : (
        <Text size="sm" c="dimmed">
          {t(`inbox.empty.${filter}`)}
        </Text>
      )}
    </Stack>
  );
}

/** Chats with filters (Mine / Unassigned / All for dispatchers), a title search and infinite scroll. */
export function ChatList({
  selectedId,
  canFilter,
  canSeeAdminLink,
}: {
  selectedId: number | null;
  canFilter: boolean;
  canSeeAdminLink: boolean;
}) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState<ChatFilter>(canFilter ? "all" : "mine");
  const [search, setSearch] = useState("");
  const list = useChatList(canFilter ? filter : "all");
  const { ref: sentinel, entry } = useIntersection({ rootMargin: "200px" });
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (entry?.isIntersecting && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [entry?.isIntersecting, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const needle = search.trim().toLocaleLowerCase();
  const chats = (list.data?.pages.flatMap((p) => p.results) ?? []).filter(
    (c) => !needle || c.title.toLocaleLowerCase().includes(needle),
  );

  return (
    <Stack gap={0} h="100%" miw={0}>
      <Stack gap="xs" p="xs" className={classes.listHeader}>
        {canFilter ? (
          <SegmentedControl
            size="xs"
            fullWidth
            value={filter}
            onChange={(v) => setFilter(v as ChatFilter)}
            aria-label={t("inbox.filterLabel")}
            data={[
              { value: "mine", label: t("inbox.filters.mine") },
              { value: "unassigned", label: t("inbox.filters.unassigned") },
              { value: "all", label: t("inbox.filters.all") },
            ]}
          />
        ) : null}
        <TextInput
          size="xs"
          leftSection={<IconSearch size={14} />}
          placeholder={t("inbox.search")}
          aria-label={t("inbox.search")}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
        />
      </Stack>
      <Box className={classes.scroll}>
        {list.isPending ? <ListSkeleton /> : null}
        {list.isError ? (
          <Box p="xs">
            <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
          </Box>
        ) : null}
        {list.isSuccess && chats.length === 0 ? (
          <EmptyList
            filter={canFilter ? filter : "all"}
            searching={needle !== ""}
            showAdminLink={canSeeAdminLink}
          />
        ) : null}
        {chats.length > 0 ? (
          <ul className={classes.plainList} aria-label={t("inbox.listLabel")}>
            {chats.map((chat) => (
              <li key={chat.id}>
                <ChatRow chat={chat} selected={chat.id === selectedId} />
              </li>
            ))}
          </ul>
        ) : null}
        <div ref={sentinel} />
        {isFetchingNextPage ? (
          <Group justify="center" p="xs">
            <Loader size="sm" />
          </Group>
        ) : null}
      </Box>
    </Stack>
  );
}
