import type { TTicketStatus } from "@helpdesk/contracts";
import { Badge } from "@mantine/core";
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

export function StatusBadge({ status }: { status: TTicketStatus }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status]} variant="light">
      {t(`status.${status}`)}
    </Badge>
  );
}

export function PriorityBadge({ priority }: { priority: Ref }) {
  return (
    <Badge color={PRIORITY_COLORS[priority.slug] ?? "gray"} variant="outline">
      {priority.name}
    </Badge>
  );
}
