import type { TTicketStatus } from "@helpdesk/contracts";
import { Badge, type BadgeProps } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Ref } from "../api/types";

const STATUS_COLORS: Record<TTicketStatus, string> = {
  open: "blue",
  in_progress: "yellow",
  waiting_for_client: "grape",
  closed: "gray",
};

const PRIORITY_COLORS: Record<string, string> = {
  low: "gray",
  medium: "blue",
  high: "orange",
  urgent: "red",
};

/**
 * Badges never truncate: Mantine's badge clips its label with an ellipsis and, being
 * `overflow: hidden`, lets a table cell or flex row squeeze it to "MEDI…". The full label
 * sets the minimum width instead; the badge stays compact (padding and letter spacing).
 */
export const NO_TRUNCATE: BadgeProps["styles"] = {
  root: {
    minWidth: "max-content",
    flexShrink: 0,
    overflow: "visible",
    paddingInline: "calc(0.5rem * var(--mantine-scale))",
    letterSpacing: 0,
  },
  label: { overflow: "visible", textOverflow: "clip", whiteSpace: "nowrap" },
};

export function StatusBadge({ status, size }: { status: TTicketStatus; size?: BadgeProps["size"] }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status]} variant="light" size={size} styles={NO_TRUNCATE}>
      {t(`status.${status}`)}
    </Badge>
  );
}

export function PriorityBadge({ priority, size }: { priority: Ref; size?: BadgeProps["size"] }) {
  return (
    <Badge
      color={PRIORITY_COLORS[priority.slug] ?? "gray"}
      variant="outline"
      size={size}
      styles={NO_TRUNCATE}
    >
      {priority.name}
    </Badge>
  );
}
