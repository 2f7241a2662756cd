import type { TChat } from "@helpdesk/contracts";
import { LIMITS } from "@helpdesk/contracts";
import { ActionIcon, Alert, Anchor, Button, Group, Stack, Text, Textarea } from "@mantine/core";
import { IconLock, IconSend } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type KeyboardEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useNotify } from "../../../shared/hooks/use-notify";
import { AttachmentPicker, filesFromPaste } from "../../attachments/components/attachment-picker.component";
import { useUploads } from "../../attachments/use-uploads";
import { useUpdateTicket } from "../../tickets/api";
import { chatKey, chatMessagesKey, useReplyToChat } from "../api";
import { closedTicketOf, notifyInboxError } from "../errors";
import classes from "./inbox.module.css";

/** The chat's ticket is closed: say so, link to it and offer to reopen it. */
function ClosedTicketNotice({ chatId, ticketId }: { chatId: number; ticketId: number | null }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const update = useUpdateTicket();
  return (
    <Alert color="yellow" icon={<IconLock size={16} />} title={t("inbox.closed.title")} role="status" p="xs">
      <Text size="sm">{t("inbox.closed.body")}</Text>
      {ticketId ? (
        <Group gap="sm" mt={6}>
          <Anchor component={Link} to={`/tickets/${ticketId}`} size="sm">
            {t("inbox.closed.openTicket", { id: ticketId })}
          </Anchor>
          <Button
            size="compact-xs"
            variant="light"
            color="yellow"
            loading={update.isPending}
            onClick={() =>
              update.mutate(
                { id: ticketId, patch: { status: "open" } },
                {
                  onSuccess: () => {
                    notify.success(t("inbox.closed.reopened"));
                    void queryClient.invalidateQueries({ queryKey: chatKey(chatId) });
                    void queryClient.invalidateQueries({ queryKey: chatMessagesKey(chatId) });
                    void queryClient.invalidateQueries({ queryKey: ["inbox", "chats"] });
                  },
                  onError: notify.error,
                },
              )
            }
          >
            {t("inbox.closed.reopen")}
          </Button>
        </Group>
      ) : null}
    </Alert>
  );
}

/**
 * The reply to the contact: Enter sends, Shift+Enter breaks the line; one attachment, uploaded
 * first and sent as `media_path`. `replyToId` is any message of the chat (null: nothing to answer).
 */
export function ChatReplyBox({
  chat,
  replyToId,
  onSent,
}: {
  chat: TChat;
  replyToId: number | null;
  onSent?: () => void;
}) {
  const { t } = useTranslation();
  const reply = useReplyToChat();
  const uploads = useUploads();
  const [text, setText] = useState("");
  const [closedTicket, setClosedTicket] = useState<number | null | undefined>(undefined);
  const closed = chat.ticket_status === "closed" || closedTicket !== undefined;
  const mediaPath = uploads.items.find((item) => item.attachment)?.attachment?.url;
  const canSend = Boolean(text.trim()) && !uploads.busy && replyToId !== null && !reply.isPending;

  const submit = (event: FormEvent | KeyboardEvent) => {
    event.preventDefault();
    if (!canSend || replyToId === null) return;
    reply.mutate(
      { chatId: chat.id, messageId: replyToId, text: text.trim(), mediaPath },
      {
        onSuccess: () => {
          setText("");
          uploads.reset();
          onSent?.();
        },
        onError: (error) => {
          const ticketId = closedTicketOf(error);
          if (ticketId !== undefined) {
            setClosedTicket(ticketId ?? chat.ticket_id);
            return;
          }
          notifyInboxError(error, t);
        },
      },
    );
  };

  if (!chat.abilities.can_reply) {
    return (
      <div className={classes.composer}>
        <Text size="sm" c="dimmed">
          {t("inbox.cannotReply")}
        </Text>
      </div>
    );
  }

  return (
    <form onSubmit={submit} className={classes.composer}>
      <Stack gap={6}>
        {closed ? <ClosedTicketNotice chatId={chat.id} ticketId={closedTicket ?? chat.ticket_id} /> : null}
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <Textarea
            flex={1}
            miw={0}
            aria-label={t("inbox.reply")}
            placeholder={t("inbox.replyPlaceholder")}
            autosize
            minRows={1}
            maxRows={8}
            maxLength={LIMITS.messageMax}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
            onPaste={(event) => {
              const files = filesFromPaste(event);
              if (files.length > 0) {
                event.preventDefault();
                if (uploads.items.length === 0) uploads.add(files.slice(0, 1));
              }
            }}
            onKeyDown={(event) => {
              // An IME composing a word uses Enter to confirm it: that is not "send".
              if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
            }}
          />
          <ActionIcon
            type="submit"
            size={36}
            radius="xl"
            aria-label={t("inbox.send")}
            loading={reply.isPending}
            disabled={!canSend}
          >
            <IconSend size={18} />
          </ActionIcon>
        </Group>
        {/* The channel takes one file per message (`media_path`). */}
        <AttachmentPicker
          items={uploads.items}
          onFiles={(files) => {
            if (uploads.items.length === 0) uploads.add(files.slice(0, 1));
          }}
          onRemove={uploads.remove}
          compact
        />
        <Text size="xs" c="dimmed" visibleFrom="sm">
          {t("inbox.keysHint")}
        </Text>
      </Stack>
    </form>
  );
}
