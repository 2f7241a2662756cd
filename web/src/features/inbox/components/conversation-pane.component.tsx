import type { TChat } from "@helpdesk/contracts";
import { ActionIcon, Anchor, Button, Group, Loader, Skeleton, Stack, Text } from "@mantine/core";
import { IconArrowLeft, IconMessages, IconTicket, IconUserPlus } from "@tabler/icons-react";
import { useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { useNotify } from "../../../shared/hooks/use-notify";
import { AssignDialog } from "../../tickets/components/assign-dialog.component";
import { messagesOldestFirst, useAssignChat, useChatMessages } from "../api";
import { notifyInboxError } from "../errors";
import { ChannelIcon } from "./channel-icon.component";
import { ChatMessageBubble } from "./chat-message.component";
import { ChatReplyBox } from "./chat-reply-box.component";
import classes from "./inbox.module.css";
import { PersonAvatar } from "./person-avatar.component";

function ConversationHeader({ chat, onBack }: { chat: TChat; onBack?: () => void }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const assign = useAssignChat();
  const [assignOpen, setAssignOpen] = useState(false);
  return (
    <Group className={classes.header} gap="xs" wrap="nowrap" justify="space-between">
      <Group gap="xs" wrap="nowrap" miw={0}>
        {onBack ? (
          <ActionIcon variant="subtle" color="gray" onClick={onBack} aria-label={t("inbox.back")}>
            <IconArrowLeft size={18} />
          </ActionIcon>
        ) : null}
        <ChannelIcon channel={chat.channel} size={20} />
        <Stack gap={0} miw={0}>
          <Text fw={600} truncate component="h2" size="md" m={0}>
            {chat.title}
          </Text>
          {chat.ticket_id ? (
            <Anchor
              component={Link}
              to={`/tickets/${chat.ticket_id}`}
              size="xs"
              className={classes.ticketLink}
            >
              <IconTicket size={12} aria-hidden style={{ verticalAlign: "-2px", marginRight: 4 }} />
              {t("inbox.ticketLink", { id: chat.ticket_id })}
              {chat.ticket_status ? ` · ${t(`status.${chat.ticket_status}`)}` : ""}
            </Anchor>
          ) : null}
        </Stack>
      </Group>
      <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
        {chat.assignee ? (
          <Group gap={6} wrap="nowrap" maw={160} miw={0}>
            <PersonAvatar name={chat.assignee.name} size={24} />
            <Text size="sm" truncate visibleFrom="xs">
              {chat.assignee.name}
            </Text>
          </Group>
        ) : (
          <Text size="sm" c="orange" fw={500}>
            {t("inbox.unassigned")}
          </Text>
        )}
        {chat.abilities.can_assign ? (
          <>
            <Button
              size="compact-sm"
              variant="light"
              leftSection={<IconUserPlus size={14} />}
              onClick={() => setAssignOpen(true)}
              visibleFrom="xs"
            >
              {t("inbox.assign")}
            </Button>
            <ActionIcon
              variant="light"
              onClick={() => setAssignOpen(true)}
              aria-label={t("inbox.assign")}
              hiddenFrom="xs"
            >
              <IconUserPlus size={16} />
            </ActionIcon>
            <AssignDialog
              key={chat.id}
              opened={assignOpen}
              onClose={() => setAssignOpen(false)}
              currentAssigneeId={chat.assignee_id}
              title={t("inbox.assignTitle")}
              loading={assign.isPending}
              onAssign={(executor) =>
                assign.mutate(
                  { chatId: chat.id, userId: executor.id },
                  {
                    onSuccess: () => {
                      setAssignOpen(false);
                      notify.success(t("inbox.assigned", { name: executor.name }));
                    },
                    onError: (error) => notifyInboxError(error, t),
                  },
                )
              }
            />
          </>
        ) : null}
      </Group>
    </Group>
  );
}

/**
 * Keeps the view at the bottom for new messages (when it was there, or after sending) and in
 * place while older ones are put on top.
 */
function useStickyScroll(container: React.RefObject<HTMLDivElement | null>, count: number, chatId: number) {
  const previous = useRef<{ chatId: number; height: number; top: number; count: number } | null>(null);
  const loadingOlder = useRef(false);
  const followNext = useRef(false);
  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const before = previous.current;
    if (!before || before.chatId !== chatId || before.count === 0) {
      el.scrollTop = el.scrollHeight;
    } else if (followNext.current) {
      el.scrollTop = el.scrollHeight;
      if (count !== before.count) followNext.current = false;
    } else if (loadingOlder.current) {
      // Older messages (or the loader) went in above: keep what was on screen where it was.
      el.scrollTop = before.top + (el.scrollHeight - before.height);
      if (count !== before.count) loadingOlder.current = false;
    } else if (count !== before.count && before.height - before.top - el.clientHeight < 120) {
      el.scrollTop = el.scrollHeight;
    }
    previous.current = { chatId, height: el.scrollHeight, top: el.scrollTop, count };
  });
  const remember = () => {
    const el = container.current;
    if (el && previous.current) {
      previous.current.top = el.scrollTop;
      previous.current.height = el.scrollHeight;
    }
  };
  return { loadingOlder, followNext, remember };
}

function MessagesSkeleton() {
  return (
    <Stack gap="sm" aria-busy="true">
      {[40, 70, 30, 55].map((w, i) => (
        <Group key={w} justify={i % 2 ? "flex-end" : "flex-start"}>
          <Skeleton height={48} width={`${w}%`} radius="lg" />
        </Group>
      ))}
    </Stack>
  );
}

/** The open chat: header, messages oldest to newest (older ones load on scrolling up), reply box. */
export function ConversationPane({ chat, onBack }: { chat: TChat; onBack?: () => void }) {
  const { t } = useTranslation();
  const query = useChatMessages(chat.id);
  const messages = messagesOldestFirst(query.data);
  const container = useRef<HTMLDivElement>(null);
  const { loadingOlder, followNext, remember } = useStickyScroll(container, messages.length, chat.id);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;

  const onScroll = () => {
    const el = container.current;
    remember();
    if (el && el.scrollTop < 80 && hasNextPage && !isFetchingNextPage) {
      loadingOlder.current = true;
      void fetchNextPage();
    }
  };
  const newest = messages[messages.length - 1];

  return (
    <>
      <ConversationHeader chat={chat} onBack={onBack} />
      <div
        ref={container}
        className={classes.messages}
        onScroll={onScroll}
        role="log"
        aria-label={t("inbox.messagesLabel", { title: chat.title })}
        aria-busy={query.isPending || isFetchingNextPage}
      >
        {isFetchingNextPage ? (
          <Group justify="center" p="xs">
            <Loader size="sm" />
          </Group>
        ) : hasNextPage ? (
          <Group justify="center" p="xs">
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => {
                loadingOlder.current = true;
                void fetchNextPage();
              }}
            >
              {t("inbox.loadOlder")}
            </Button>
          </Group>
        ) : null}
        {query.isPending ? <MessagesSkeleton /> : null}
        {query.isError ? <ErrorAlert error={query.error} onRetry={() => void query.refetch()} /> : null}
        {query.isSuccess && messages.length === 0 ? (
          <Text c="dimmed" size="sm" ta="center" p="md">
            {t("inbox.noMessagesYet")}
          </Text>
        ) : null}
        {messages.map((message) => (
          <ChatMessageBubble key={message.id} message={message} />
        ))}
      </div>
      <ChatReplyBox
        chat={chat}
        replyToId={newest?.id ?? chat.last_message?.id ?? null}
        onSent={() => {
          followNext.current = true;
        }}
      />
    </>
  );
}

/** The right pane before a chat is picked. */
export function NoChatSelected() {
  const { t } = useTranslation();
  return (
    <Stack align="center" justify="center" h="100%" gap="xs" p="xl" ta="center">
      <IconMessages size={40} color="var(--mantine-color-dimmed)" aria-hidden />
      <Text c="dimmed">{t("inbox.pickChat")}</Text>
    </Stack>
  );
}
