import { Skeleton, Text, Timeline } from "@mantine/core";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { TicketEvent } from "../../../shared/api/types";
import { formatDateTime } from "../../../shared/format";
import { useTicketHistory } from "../api";

function nameOf(value: unknown, fallback: string): string {
  if (value && typeof value === "object" && "name" in value && typeof value.name === "string") {
    return value.name;
  }
  if (typeof value === "string" || typeof value === "number") {
    return String(value);
  }
  return fallback;
}

function describeEvent(event: TicketEvent, t: TFunction) {
  const data = event.data ?? {};
  if (event.type === "status_changed") {
    const from = typeof data.from === "string" ? t(`status.${data.from}`) : "—";
    const to = typeof data.to === "string" ? t(`status.${data.to}`) : "—";
    return t("history.status_changed", { from, to });
  }
  if (event.type === "assigned") {
    return t("history.assigned", { to: nameOf(data.to_name ?? data.to, "—") });
  }
  const key = `history.${event.type}`;
  const text = t(key, { defaultValue: "" });
  return text || event.type;
}

/** The ticket's change history, oldest first. */
export function HistoryTimeline({ ticketId }: { ticketId: number }) {
  const { t, i18n } = useTranslation();
  const history = useTicketHistory(ticketId);
  if (history.isPending) {
    return <Skeleton height={80} />;
  }
  if (history.isError || history.data.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t("history.empty")}
      </Text>
    );
  }
  return (
    <Timeline bulletSize={12} lineWidth={2} active={history.data.length}>
      {history.data.map((event) => (
        <Timeline.Item key={event.id} title={event.actor?.name ?? t("history.system")}>
          <Text size="sm">{describeEvent(event, t)}</Text>
          <Text size="xs" c="dimmed" component="time" dateTime={event.created_at}>
            {formatDateTime(event.created_at, i18n.language)}
          </Text>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
