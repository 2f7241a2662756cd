import { Anchor, Checkbox, Skeleton, Table, Text } from "@mantine/core";
import { memo, startTransition, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Ticket } from "../../../shared/api/types";
import { PriorityBadge, StatusBadge } from "../../../shared/components/badges.component";
import { formatRelative } from "../../../shared/format";

type RowProps = {
  ticket: Ticket;
  selectable: boolean;
  selected: boolean;
  onToggle: (id: number) => void;
  showRequester: boolean;
  language: string;
};

const TicketRow = memo(function TicketRow({
  ticket,
  selectable,
  selected,
  onToggle,
  showRequester,
  language,
}: RowProps) {
  const { t } = useTranslation();
  return (
    <Table.Tr bg={selected ? "var(--mantine-primary-color-light)" : undefined}>
      {selectable ? (
        <Table.Td>
          <Checkbox
            aria-label={t("tickets.selectTicket", { id: ticket.id })}
            checked={selected}
            onChange={() => onToggle(ticket.id)}
          />
        </Table.Td>
      ) : null}
      <Table.Td c="dimmed" style={{ whiteSpace: "nowrap" }}>
        #{ticket.id}
      </Table.Td>
      <Table.Td>
        <Anchor component={Link} to={`/tickets/${ticket.id}`} fw={500} lineClamp={2}>
          {ticket.title}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <StatusBadge status={ticket.status} />
      </Table.Td>
      <Table.Td visibleFrom="xs">
        <PriorityBadge priority={ticket.priority} />
      </Table.Td>
      <Table.Td visibleFrom="md">{ticket.queue.name}</Table.Td>
      <Table.Td visibleFrom="md">
        {ticket.assignee?.name ?? (
          <Text span inherit c="dimmed">
            {t("common.unassigned")}
          </Text>
        )}
      </Table.Td>
      {showRequester ? <Table.Td visibleFrom="lg">{ticket.requester.name}</Table.Td> : null}
      <Table.Td visibleFrom="sm" style={{ whiteSpace: "nowrap" }}>
        <time dateTime={ticket.created_at} title={new Date(ticket.created_at).toLocaleString(language)}>
          {formatRelative(ticket.created_at, language)}
        </time>
      </Table.Td>
    </Table.Tr>
  );
});

/** Rows in the first paint (more than a screen holds); the rest renders as a non-blocking transition. */
const FIRST_PAINT = 20;

type Props = {
  tickets: Ticket[];
  loading: boolean;
  selectable: boolean;
  selected: Set<number>;
  onToggle: (id: number) => void;
  onToggleAll: () => void;
  showRequester: boolean;
};

/** Ticket rows with optional selection checkboxes; columns collapse on narrow screens. */
export function TicketTable({
  tickets,
  loading,
  selectable,
  selected,
  onToggle,
  onToggleAll,
  showRequester,
}: Props) {
  const { t, i18n } = useTranslation();
  const allSelected = tickets.length > 0 && tickets.every((ticket) => selected.has(ticket.id));
  const someSelected = !allSelected && tickets.some((ticket) => selected.has(ticket.id));
  const [limit, setLimit] = useState(FIRST_PAINT);
  const more = tickets.length > limit;
  useEffect(() => {
    if (more) {
      startTransition(() => setLimit(Number.POSITIVE_INFINITY));
    }
  }, [more]);
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            {selectable ? (
              <Table.Th w={40}>
                <Checkbox
                  aria-label={t("tickets.selectAll")}
                  checked={allSelected}
                  indeterminate={someSelected}
                  onChange={onToggleAll}
                />
              </Table.Th>
            ) : null}
            <Table.Th w={70}>#</Table.Th>
            <Table.Th>{t("tickets.title")}</Table.Th>
            <Table.Th>{t("tickets.status")}</Table.Th>
            <Table.Th visibleFrom="xs">{t("tickets.priority")}</Table.Th>
            <Table.Th visibleFrom="md">{t("tickets.queue")}</Table.Th>
            <Table.Th visibleFrom="md">{t("tickets.assignee")}</Table.Th>
            {showRequester ? <Table.Th visibleFrom="lg">{t("tickets.requester")}</Table.Th> : null}
            <Table.Th visibleFrom="sm">{t("tickets.created")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(more ? tickets.slice(0, limit) : tickets).map((ticket) => (
            <TicketRow
              key={ticket.id}
              ticket={ticket}
              selectable={selectable}
              selected={selected.has(ticket.id)}
              onToggle={onToggle}
              showRequester={showRequester}
              language={i18n.language}
            />
          ))}
          {loading
            ? Array.from({ length: 6 }, (_, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                <Table.Tr key={index} aria-hidden>
                  <Table.Td colSpan={selectable ? 9 : 8}>
                    <Skeleton height={22} />
                  </Table.Td>
                </Table.Tr>
              ))
            : null}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
