import { useDraggable } from "@dnd-kit/core";
import { Anchor, Paper } from "@mantine/core";
import { type CSSProperties, memo } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Ticket } from "../../../shared/api/types";
import { PriorityBadge } from "../../../shared/components/badges.component";
import { formatAge } from "../../../shared/format";

type Props = { ticket: Ticket; overlay?: boolean };

const ROW: CSSProperties = {
  display: "flex",
  justifyContent: "space-between",
  alignItems: "center",
  gap: 4,
  minWidth: 0,
};
const META: CSSProperties = {
  fontSize: "var(--mantine-font-size-xs)",
  lineHeight: "var(--mantine-line-height-xs)",
  color: "var(--mantine-color-dimmed)",
};

/**
 * Card body; shared by the draggable card and the drag overlay. Plain elements for the layout
 * (a board paints up to 160 cards at once), Mantine only for the link and the badge.
 */
export const BoardCardBody = memo(function BoardCardBody({ ticket }: { ticket: Ticket }) {
  const { t } = useTranslation();
  const assignee = ticket.assignee?.name ?? t("common.unassigned");
  return (
    <>
      <div style={ROW}>
        <span style={{ ...META, fontWeight: 600 }}>#{ticket.id}</span>
        <span style={META} title={t("tickets.age")}>
          {formatAge(ticket.created_at)}
        </span>
      </div>
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
      <div style={{ ...ROW, marginTop: 6 }}>
        <PriorityBadge priority={ticket.priority} size="sm" />
        <span
          style={{ ...META, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}
          title={assignee}
        >
          {assignee}
        </span>
      </div>
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
