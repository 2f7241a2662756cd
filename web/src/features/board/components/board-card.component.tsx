import { useDraggable } from "@dnd-kit/core";
import { Anchor, Group, Paper, Text } from "@mantine/core";
import { memo } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Ticket } from "../../../shared/api/types";
import { PriorityBadge } from "../../../shared/components/badges.component";
import { formatAge } from "../../../shared/format";

type Props = { ticket: Ticket; overlay?: boolean };

/** Card body; shared by the draggable card and the drag overlay. */
export const BoardCardBody = memo(function BoardCardBody({ ticket }: { ticket: Ticket }) {
  const { t } = useTranslation();
  return (
    <>
      <Group justify="space-between" gap={4} wrap="nowrap">
        <Text size="xs" c="dimmed" fw={600}>
          #{ticket.id}
        </Text>
        <Text size="xs" c="dimmed" title={t("tickets.age")}>
          {formatAge(ticket.created_at)}
        </Text>
      </Group>
      <Anchor
        component={Link}
        to={`/tickets/${ticket.id}`}
        size="sm"
        fw={500}
        lineClamp={3}
        c="var(--mantine-color-text)"
        draggable={false}
      >
        {ticket.title}
      </Anchor>
      <Group justify="space-between" gap={4} mt={6} wrap="nowrap">
        <PriorityBadge priority={ticket.priority} />
        <Text size="xs" c="dimmed" truncate>
          {ticket.assignee?.name ?? t("common.unassigned")}
        </Text>
      </Group>
    </>
  );
});

/** A draggable ticket card (mouse, touch and keyboard through dnd-kit sensors). */
export const BoardCard = memo(function BoardCard({ ticket }: Props) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: ticket.id,
    data: { status: ticket.status },
  });
  return (
    <Paper
      ref={setNodeRef}
      withBorder
      p="xs"
      shadow="xs"
      {...attributes}
      {...listeners}
      aria-roledescription="draggable ticket"
      aria-label={`#${ticket.id} ${ticket.title}`}
      style={{ opacity: isDragging ? 0.4 : 1, cursor: "grab", touchAction: "manipulation" }}
    >
      <BoardCardBody ticket={ticket} />
    </Paper>
  );
});
