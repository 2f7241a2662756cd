import type { TChatMessage } from "@helpdesk/contracts";
import { Anchor, Button, Group, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconCheck, IconClock, IconRefresh } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { formatDateTime } from "../../../shared/format";
import { useNotify } from "../../../shared/hooks/use-notify";
import { AttachmentList } from "../../attachments/components/attachment-list.component";
import { useRetryDelivery } from "../../tickets/api";
import { chatMessagesKey } from "../api";
import classes from "./inbox.module.css";

/** Images inline as previews (opening the full file), the other files as the ticket page lists them. */
function MessageAttachments({ attachments }: { attachments: TChatMessage["attachments"] }) {
  const images = attachments.filter((a) => a.content_type.startsWith("image/"));
  const files = attachments.filter((a) => !a.content_type.startsWith("image/"));
  return (
    <>
      {images.length > 0 ? (
        <Stack gap={6} mt={6}>
          {images.map((image) => (
            <Anchor key={image.id} href={image.url} target="_blank" rel="noopener" title={image.filename}>
              <img src={image.url} alt={image.filename} loading="lazy" className={classes.imagePreview} />
            </Anchor>
          ))}
        </Stack>
      ) : null}
      <AttachmentList attachments={files} />
    </>
  );
}

/** Where an outgoing message is on its way through the channel, with a retry once it stalled. */
function DeliveryState({ message }: { message: TChatMessage }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const retry = useRetryDelivery();
  const state = message.delivery_state;
  if (!state) return null;
  if (state === "sent") {
    return (
      <Group gap={4} justify="flex-end">
        <IconCheck size={12} color="var(--mantine-color-green-filled)" aria-hidden />
        <Text size="xs" c="dimmed">
          {t("inbox.delivery.sent")}
        </Text>
      </Group>
    );
  }
  if (state === "queued") {
    return (
      <Group gap={4} justify="flex-end">
        <IconClock size={12} color="var(--mantine-color-dimmed)" aria-hidden />
        <Text size="xs" c="dimmed">
          {t("inbox.delivery.queued")}
        </Text>
      </Group>
    );
  }
  return (
    <Stack gap={4} role="status" align="flex-end">
      <Group gap={4} wrap="nowrap" align="flex-start">
        <IconAlertTriangle
          size={12}
          color={`var(--mantine-color-${state === "failed" ? "red" : "orange"}-filled)`}
          aria-hidden
          style={{ flexShrink: 0, marginTop: 3 }}
        />
        <Text size="xs" c={state === "failed" ? "red" : "orange"} className={classes.bubbleText}>
          {t(`inbox.delivery.${state}`, { error: message.delivery_error ?? "" })}
        </Text>
      </Group>
      <Button
        size="compact-xs"
        variant="light"
        color={state === "failed" ? "red" : "orange"}
        leftSection={<IconRefresh size={12} />}
        loading={retry.isPending}
        onClick={() =>
          retry.mutate(
            { messageId: message.id, ticketId: message.ticket_id },
            {
              onSuccess: () => {
                notify.success(t("inbox.delivery.retried"));
                void queryClient.invalidateQueries({ queryKey: chatMessagesKey(message.chat_id) });
              },
              onError: notify.error,
            },
          )
        }
      >
        {t("inbox.delivery.retry")}
      </Button>
    </Stack>
  );
}

/** The time alone for today's messages, with the date for older ones. */
function formatMessageTime(iso: string, language: string): string {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return new Intl.DateTimeFormat(
    language,
    today ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" },
  ).format(date);
}

/** One message as a bubble: the contact's on the left, the team's on the right. */
export function ChatMessageBubble({ message }: { message: TChatMessage }) {
  const { t, i18n } = useTranslation();
  return (
    <div className={classes.bubbleRow} data-direction={message.direction} data-message-id={message.id}>
      <article
        className={classes.bubble}
        aria-label={t(message.direction === "in" ? "inbox.fromContact" : "inbox.fromTeam", {
          name: message.author.name,
        })}
      >
        <Group gap="xs" justify="space-between" wrap="nowrap" mb={2}>
          <Text size="xs" fw={600} truncate>
            {message.author.name}
          </Text>
          <Text
            size="xs"
            c="dimmed"
            component="time"
            dateTime={message.created_at}
            title={formatDateTime(message.created_at, i18n.language)}
            style={{ flexShrink: 0 }}
          >
            {formatMessageTime(message.created_at, i18n.language)}
          </Text>
        </Group>
        {message.text ? (
          <Text size="sm" className={classes.bubbleText}>
            {message.text}
          </Text>
        ) : null}
        <MessageAttachments attachments={message.attachments} />
        <DeliveryState message={message} />
      </article>
    </div>
  );
}
