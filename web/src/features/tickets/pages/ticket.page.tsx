import { TICKET_STATUSES, type TTicketStatus } from "@helpdesk/contracts";
import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  Modal,
  Paper,
  Select,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from "@mantine/core";
import { IconCircleCheck, IconUserCheck } from "@tabler/icons-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { ApiError } from "../../../shared/api/client";
import type { Ticket } from "../../../shared/api/types";
import { PriorityBadge, StatusBadge } from "../../../shared/components/badges.component";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { formatDateTime } from "../../../shared/format";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useTicketPresence } from "../../../shared/realtime/use-realtime";
import { AttachmentList } from "../../attachments/components/attachment-list.component";
import { useReadTicketNotifications } from "../../notifications/use-live-notifications";
import { useAssignTicket, useExecuteTicket, useTicket, useUpdateTicket } from "../api";
import { AssignDialog } from "../components/assign-dialog.component";
import { Conversation } from "../components/conversation.component";
import { HistoryTimeline } from "../components/history-timeline.component";
import { ReplyBox } from "../components/reply-box.component";
import { AlsoViewing, TypingLine } from "../components/ticket-presence.component";

function DetailsTable({ ticket }: { ticket: Ticket }) {
  const { t, i18n } = useTranslation();
  const rows: [string, React.ReactNode][] = [
    [t("tickets.priority"), <PriorityBadge key="p" priority={ticket.priority} />],
    [t("tickets.queue"), ticket.queue.name],
    [t("tickets.category"), ticket.category?.name ?? t("common.none")],
    [t("tickets.requester"), ticket.requester.name],
    [t("tickets.assignee"), ticket.assignee?.name ?? t("common.unassigned")],
    [t("tickets.created"), formatDateTime(ticket.created_at, i18n.language)],
    [t("tickets.updated"), formatDateTime(ticket.updated_at, i18n.language)],
  ];
  return (
    <Table withRowBorders={false} verticalSpacing={4} layout="fixed">
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th w="40%" fw={500} c="dimmed" fz="sm">
              {label}
            </Table.Th>
            <Table.Td fz="sm">{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export default function TicketPage() {
  const { t } = useTranslation();
  const params = useParams();
  const id = Number(params.ticketId);
  const notify = useNotify();
  const ticket = useTicket(id);
  const update = useUpdateTicket();
  const assign = useAssignTicket();
  const execute = useExecuteTicket();
  const [assignOpen, setAssignOpen] = useState(false);
  const [executeOpen, setExecuteOpen] = useState(false);
  const [comment, setComment] = useState("");
  const validId = Number.isInteger(id) && id > 0;
  const presence = useTicketPresence(validId && ticket.isSuccess ? id : null);
  useReadTicketNotifications(validId ? id : 0);

  if (!validId || (ticket.error instanceof ApiError && ticket.error.status === 404)) {
    return (
      <Alert color="gray" title={t("common.notFound")}>
        {t("tickets.notFound")}
        <Button component={Link} to="/" variant="light" size="xs" display="block" mt="sm">
          {t("common.backHome")}
        </Button>
      </Alert>
    );
  }
  if (ticket.isError) {
    return <ErrorAlert error={ticket.error} onRetry={() => void ticket.refetch()} />;
  }
  if (ticket.isPending) {
    return (
      <Stack>
        <Skeleton height={36} width="60%" />
        <Skeleton height={120} />
        <Skeleton height={120} />
      </Stack>
    );
  }
  const data = ticket.data;
  // What this user may do is decided by the server's policies and sent with the ticket.
  const abilities = data.abilities;
  const statusOptions = TICKET_STATUSES.filter(
    (status) => status === data.status || abilities.can_change_status_to.includes(status),
  );
  const showActions =
    abilities.can_write_note && (statusOptions.length > 1 || abilities.can_assign || abilities.can_execute);

  const changeStatus = (status: TTicketStatus) => {
    update.mutate(
      { id, patch: { status } },
      {
        onSuccess: () => notify.success(t("tickets.statusChanged", { status: t(`status.${status}`) })),
        onError: notify.error,
      },
    );
  };

  return (
    <Stack>
      <Stack gap={6}>
        <Group justify="space-between" gap="xs">
          <Group gap="xs">
            <Text c="dimmed" fw={600}>
              {t("tickets.number", { id: data.id })}
            </Text>
            <StatusBadge status={data.status} />
            <PriorityBadge priority={data.priority} />
            {data.archived_at ? <Badge color="gray">{t("tickets.archived")}</Badge> : null}
          </Group>
          <AlsoViewing viewers={presence.viewers} />
        </Group>
        <Title order={1} size="h2" style={{ overflowWrap: "anywhere" }}>
          {data.title}
        </Title>
        <Text size="sm" c="dimmed">
          {data.queue.name} · {t("tickets.requester")}: {data.requester.name} · {t("tickets.assignee")}:{" "}
          {data.assignee?.name ?? t("common.unassigned")}
        </Text>
      </Stack>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack>
            <Paper withBorder p="md">
              <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
                {data.description || t("common.none")}
              </Text>
              <AttachmentList attachments={data.attachments} />
            </Paper>
            <Title order={2} size="h4">
              {t("tickets.conversation")}
            </Title>
            <Conversation ticketId={id} />
            <Stack gap={4}>
              <TypingLine typers={presence.typers} />
              {abilities.can_reply ? (
                <ReplyBox ticketId={id} staff={abilities.can_write_note} onTyping={presence.sendTyping} />
              ) : null}
            </Stack>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack>
            {showActions ? (
              <Paper withBorder p="md">
                <Stack gap="sm">
                  <Select
                    label={t("tickets.changeStatus")}
                    data={statusOptions.map((status) => ({ value: status, label: t(`status.${status}`) }))}
                    value={data.status}
                    allowDeselect={false}
                    disabled={update.isPending}
                    onChange={(value) =>
                      value && value !== data.status && changeStatus(value as TTicketStatus)
                    }
                  />
                  {abilities.can_assign ? (
                    <Button
                      variant="light"
                      leftSection={<IconUserCheck size={16} />}
                      onClick={() => setAssignOpen(true)}
                    >
                      {data.assignee ? t("tickets.reassign") : t("tickets.assign")}
                    </Button>
                  ) : null}
                  {abilities.can_execute ? (
                    <Button
                      color="green"
                      leftSection={<IconCircleCheck size={16} />}
                      onClick={() => setExecuteOpen(true)}
                    >
                      {t("tickets.execute")}
                    </Button>
                  ) : null}
                </Stack>
              </Paper>
            ) : null}
            <Paper withBorder p="md">
              <Title order={2} size="h5" mb="xs">
                {t("tickets.details")}
              </Title>
              <DetailsTable ticket={data} />
            </Paper>
            <Paper withBorder p="md">
              <Title order={2} size="h5" mb="sm">
                {t("tickets.history")}
              </Title>
              <HistoryTimeline ticketId={id} />
            </Paper>
          </Stack>
        </Grid.Col>
      </Grid>
      {abilities.can_assign ? (
        <AssignDialog
          opened={assignOpen}
          onClose={() => setAssignOpen(false)}
          currentAssigneeId={data.assignee?.id}
          loading={assign.isPending}
          onAssign={(executor) =>
            assign.mutate(
              { id, executorId: executor.id },
              {
                onSuccess: () => {
                  setAssignOpen(false);
                  notify.success(t("tickets.assigned_ok", { name: executor.name }));
                },
                onError: notify.error,
              },
            )
          }
        />
      ) : null}
      <Modal
        opened={executeOpen}
        onClose={() => setExecuteOpen(false)}
        title={t("tickets.executeTitle", { id })}
      >
        <Stack>
          <Textarea
            label={t("tickets.executeComment")}
            autosize
            minRows={3}
            value={comment}
            onChange={(event) => setComment(event.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setExecuteOpen(false)}>
              {t("common.cancel")}
            </Button>
            <Button
              color="green"
              loading={execute.isPending}
              onClick={() =>
                execute.mutate(
                  { id, comment: comment.trim() || undefined },
                  {
                    onSuccess: () => {
                      setExecuteOpen(false);
                      setComment("");
                      notify.success(t("tickets.executed"));
                    },
                    onError: notify.error,
                  },
                )
              }
            >
              {t("tickets.execute")}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
