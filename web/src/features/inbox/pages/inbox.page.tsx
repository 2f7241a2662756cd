import { Alert, Box, Button, Group, Title } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { useCallback, useEffect, useLayoutEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import { canDispatch, isStaff } from "../../../app/nav";
import { PageLoader } from "../../../shared/components/page-loader.component";
import { useCurrentUser } from "../../auth/api";
import { messagesOldestFirst, useChat, useChatMessages, useInboxLiveUpdates, useMarkChatRead } from "../api";
import { ChatList } from "../components/chat-list.component";
import { ConversationPane, NoChatSelected } from "../components/conversation-pane.component";
import classes from "../components/inbox.module.css";
import { describeInboxError } from "../errors";

/** Marks the open chat read when it opens and whenever the contact writes while it is open. */
function useMarkReadWhileOpen(chatId: number | null, unreadCount: number | undefined) {
  const markRead = useMarkChatRead();
  const { mutate } = markRead;
  const opened = useRef<number | null>(null);
  useEffect(() => {
    if (chatId === null || unreadCount === undefined) return;
    if (opened.current === chatId && unreadCount === 0) return;
    opened.current = chatId;
    mutate(chatId);
  }, [chatId, unreadCount, mutate]);
}

function OpenChat({
  chatId,
  onBack,
  ticketIds,
}: {
  chatId: number;
  onBack?: () => void;
  /** Filled with the tickets of this chat's messages, for the live updates. */
  ticketIds: { current: ReadonlySet<number> };
}) {
  const { t } = useTranslation();
  const chat = useChat(chatId);
  const messages = useChatMessages(chatId);
  // Only the chat fetched from the server says what the caller has read, not a list's copy.
  useMarkReadWhileOpen(chatId, chat.isPlaceholderData ? undefined : chat.data?.unread_count);

  useEffect(() => {
    ticketIds.current = new Set([
      ...messagesOldestFirst(messages.data).map((m) => m.ticket_id),
      ...(chat.data?.ticket_id ? [chat.data.ticket_id] : []),
    ]);
  });

  if (chat.data) return <ConversationPane chat={chat.data} onBack={onBack} />;
  if (chat.isError) {
    return (
      <Box p="md">
        <Alert color="red" title={t("errors.loadFailed")} role="alert">
          {describeInboxError(chat.error, t)}
          <Group gap="xs" mt="sm">
            <Button size="xs" variant="light" color="red" onClick={() => void chat.refetch()}>
              {t("common.retry")}
            </Button>
            {onBack ? (
              <Button size="xs" variant="default" onClick={onBack}>
                {t("inbox.back")}
              </Button>
            ) : null}
          </Group>
        </Alert>
      </Box>
    );
  }
  return <PageLoader />;
}

/**
 * The panes fill the window below whatever the layout puts above them (the header, onboarding
 * hints until dismissed): `--inbox-top` is their distance from the top of the page.
 */
function usePanesTop() {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      el.style.setProperty("--inbox-top", `${Math.round(el.getBoundingClientRect().top + window.scrollY)}px`);
    };
    measure();
    const observer = new ResizeObserver(measure);
    if (el.parentElement) observer.observe(el.parentElement);
    window.addEventListener("resize", measure);
    return () => {
      observer.disconnect();
      window.removeEventListener("resize", measure);
    };
  }, []);
  return ref;
}

/** `/inbox` and `/inbox/:chatId`: the chat list and the open conversation (one at a time on phones). */
export default function InboxPage() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const navigate = useNavigate();
  const params = useParams();
  const phone = useMediaQuery("(max-width: 36em)", false, { getInitialValueInEffect: false });
  const chatId = params.chatId && /^\d+$/.test(params.chatId) ? Number(params.chatId) : null;
  const panes = usePanesTop();
  const ticketIds = useRef<ReadonlySet<number>>(new Set());
  const openTicketIds = useCallback(() => ticketIds.current, []);
  useInboxLiveUpdates(openTicketIds, chatId);

  if (!isStaff(user.role)) {
    return <Alert color="red">{t("errors.auth.forbidden")}</Alert>;
  }

  const back = () => navigate("/inbox");
  const showList = !phone || chatId === null;
  const showConversation = !phone || chatId !== null;

  return (
    <>
      <Title order={1} className={classes.visuallyHidden}>
        {t("inbox.title")}
      </Title>
      <div
        ref={panes}
        className={classes.panes}
        data-phone={phone || undefined}
        data-open={chatId !== null || undefined}
      >
        {showList ? (
          <Box className={classes.listPane} component="section" aria-label={t("inbox.listLabel")}>
            <ChatList
              selectedId={chatId}
              canFilter={canDispatch(user.role)}
              canSeeAdminLink={user.role === "admin"}
            />
          </Box>
        ) : null}
        {showConversation ? (
          <Box
            className={classes.conversationPane}
            component="section"
            aria-label={t("inbox.conversationLabel")}
          >
            {chatId === null ? (
              <NoChatSelected />
            ) : (
              <OpenChat
                key={chatId}
                chatId={chatId}
                onBack={phone ? back : undefined}
                ticketIds={ticketIds}
              />
            )}
          </Box>
        ) : null}
      </div>
    </>
  );
}
