import { Badge, Button, Group, Paper, Skeleton, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconCheck, IconLock, IconRefresh } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import type { TicketMessage } from "../../../shared/api/types";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { formatDateTime } from "../../../shared/format";
import { useNotify } from "../../../shared/hooks/use-notify";
import { AttachmentList } from "../../attachments/components/attachment-list.component";
import { useRetryDelivery, useTicketMessages } from "../api";

/** Staff see whether a reply reached the customer on their channel, and can send it again. */
function DeliveryLine({ message }: { message: TicketMessage }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const retry = useRetryDelivery();
  const delivery = message.delivery;
  if (!delivery) return null;
  const channel = t(`tickets.delivery.channels.${delivery.channel}`, { defaultValue: delivery.channel });
  const error = delivery.last_error ?? "";
  if (delivery.state === "sent") {
    return (
      <Group gap={4} mt={6}>
        <IconCheck size={14} color="var(--mantine-color-green-filled)" aria-hidden />
        <Text size="xs" c="dimmed">
          {t("tickets.delivery.sent", { channel })}
        </Text>
      </Group>
    );
  }
  if (delivery.state === "queued") {
    return (
      <Text size="xs" c="dimmed" mt={6}>
        {t("tickets.delivery.sending", { channel })}
      </Text>
    );
  }
  return (
    <Group gap="xs" mt={6} wrap="wrap" role="status">
      <IconAlertTriangle size={14} color="var(--mantine-color-red-filled)" aria-hidden />
      <Text size="xs" c={delivery.state === "failed" ? "red" : "orange"} style={{ overflowWrap: "anywhere" }}>
        {t(`tickets.delivery.${delivery.state}`, { channel, error })}
      </Text>
      <Button
        size="compact-xs"
        variant="light"
        leftSection={<IconRefresh size={12} />}
        loading={retry.isPending}
        onClick={() =>
          retry.mutate(
            { messageId: message.id, ticketId: message.ticket_id },
            { onSuccess: () => notify.success(t("tickets.delivery.retried")), onError: notify.error },
          )
        }
      >
        {t("tickets.delivery.retry")}
      </Button>
    </Group>
  );
}

function MessageItem({ message, language }: { message: TicketMessage; language: string }) {
  const { t } = useTranslation();
  const internal = message.is_internal;
  return (
    <Paper
      withBorder
      p="sm"
      component="article"
      aria-label={internal ? t("tickets.internalNote") : undefined}
      bg={internal ? "var(--mantine-color-yellow-light)" : undefined}
      style={internal ? { borderColor: "var(--mantine-color-yellow-filled)" } : undefined}
    >
      <Group justify="space-between" gap="xs" mb={4} wrap="wrap">
        <Group gap="xs">
          <Text fw={600} size="sm">
            {message.author?.name ?? t("history.system")}
          </Text>
          {message.author && message.author.role !== "requester" ? (
            <Text size="xs" c="dimmed">
              {t(`roles.${message.author.role}`)}
            </Text>
          ) : null}
          {internal ? (
            <Badge color="yellow" variant="filled" size="sm" leftSection={<IconLock size={12} />}>
              {t("tickets.internalNote")}
            </Badge>
          ) : null}
        </Group>
        <Text size="xs" c="dimmed" component="time" dateTime={message.created_at}>
          {formatDateTime(message.created_at, language)}
        </Text>
      </Group>
      <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
        {message.text}
      </Text>
      <AttachmentList attachments={message.attachments} />
      <DeliveryLine message={message} />
    </Paper>
  );
}

/** Public messages and, for staff, internal notes, oldest first. */
export function Conversation({ ticketId }: { ticketId: number }) {
  const { t, i18n } = useTranslation();
  const messages = useTicketMessages(ticketId);
  if (messages.isPending) {
    return (
      <Stack>
        <Skeleton height={70} />
        <Skeleton height={70} />
      </Stack>
    );
  }
  if (messages.isError) {
    return <ErrorAlert error={messages.error} onRetry={() => void messages.refetch()} />;
  }
  if (messages.data.length === 0) {
    return (
      <Text c="dimmed" size="sm">
        {t("tickets.noMessages")}
      </Text>
    );
  }
  return (
    <Stack gap="sm">
      {messages.data.map((message) => (
        <MessageItem key={message.id} message={message} language={i18n.language} />
      ))}
    </Stack>
  );
}
