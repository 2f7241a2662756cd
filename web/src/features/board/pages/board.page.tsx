import {
  type Announcements,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  type DragStartEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from "@dnd-kit/core";
import { TICKET_STATUSES, type TTicketStatus } from "@helpdesk/contracts";
import { Group, Paper, Select, Stack, Text, Title } from "@mantine/core";
import { type InfiniteData, useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { canDispatch } from "../../../app/nav";
import { api } from "../../../shared/api/client";
import type { Page, Ticket } from "../../../shared/api/types";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCurrentUser } from "../../auth/api";
import { useCatalogOptions, useExecutors } from "../../catalog/api";
import { type TicketFilters, ticketKey, ticketsKey, useTicketList } from "../../tickets/api";
import { BoardCardBody } from "../components/board-card.component";
import { BoardColumn } from "../components/board-column.component";
import { columnKeyboardCoordinates } from "../keyboard-coordinates";

type ListData = InfiniteData<Page<Ticket>, string | undefined>;

const COLUMN_PAGE = 100;

function columnFilters(
  status: TTicketStatus,
  queueId: string | null,
  assigneeId: string | null,
): TicketFilters {
  return {
    status: [status],
    queue_id: queueId ?? undefined,
    assignee_id: assigneeId ?? undefined,
    limit: COLUMN_PAGE,
  };
}

function useColumn(status: TTicketStatus, queueId: string | null, assigneeId: string | null) {
  const filters = useMemo(() => columnFilters(status, queueId, assigneeId), [status, queueId, assigneeId]);
  const query = useTicketList(filters);
  const tickets = useMemo(() => query.data?.pages.flatMap((page) => page.results) ?? [], [query.data]);
  const { fetchNextPage } = query;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  return { filters, query, tickets, loadMore };
}

export default function BoardPage() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const queueId = params.get("queue_id");
  const assigneeId = params.get("assignee_id");
  const queues = useCatalogOptions("queues");
  const executors = useExecutors(canDispatch(user.role));
  const [activeTicket, setActiveTicket] = useState<Ticket | null>(null);

  const columns = {
    open: useColumn("open", queueId, assigneeId),
    in_progress: useColumn("in_progress", queueId, assigneeId),
    waiting_for_client: useColumn("waiting_for_client", queueId, assigneeId),
    closed: useColumn("closed", queueId, assigneeId),
  } satisfies Record<TTicketStatus, ReturnType<typeof useColumn>>;

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnKeyboardCoordinates }),
  );

  const findTicket = (id: number): Ticket | undefined => {
    for (const status of TICKET_STATUSES) {
      const found = columns[status].tickets.find((ticket) => ticket.id === id);
      if (found) {
        return found;
      }
    }
    return undefined;
  };

  const setFilter = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) {
      next.set(key, value);
    } else {
      next.delete(key);
    }
    setParams(next, { replace: true });
  };

  /** Moves the card between the two cached columns at once; the server answer confirms or undoes it. */
  const moveTicket = async (ticket: Ticket, to: TTicketStatus) => {
    const from = ticket.status;
    const fromKey = ticketsKey(columns[from].filters);
    const toKey = ticketsKey(columns[to].filters);
    await Promise.all([
      queryClient.cancelQueries({ queryKey: fromKey }),
      queryClient.cancelQueries({ queryKey: toKey }),
    ]);
    const previousFrom = queryClient.getQueryData<ListData>(fromKey);
    const previousTo = queryClient.getQueryData<ListData>(toKey);
    queryClient.setQueryData<ListData>(fromKey, (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((page) => ({
              ...page,
              results: page.results.filter((x) => x.id !== ticket.id),
            })),
          }
        : data,
    );
    queryClient.setQueryData<ListData>(toKey, (data) => {
      if (!data) {
        return data;
      }
      const [first, ...rest] = data.pages;
      const moved = { ...ticket, status: to };
      return first ? { ...data, pages: [{ ...first, results: [moved, ...first.results] }, ...rest] } : data;
    });
    try {
      const updated = await api.patch<Ticket>(`/api/tickets/${ticket.id}/`, { status: to });
      queryClient.setQueryData(ticketKey(ticket.id), updated);
      notify.success(t("board.moved", { id: ticket.id, status: t(`status.${to}`) }));
    } catch (error) {
      queryClient.setQueryData(fromKey, previousFrom);
      queryClient.setQueryData(toKey, previousTo);
      notify.error(error);
    } finally {
      void queryClient.invalidateQueries({ queryKey: ["tickets"] });
      void queryClient.invalidateQueries({ queryKey: ["ticket", ticket.id] });
    }
  };

  const onDragStart = (event: DragStartEvent) => {
    setActiveTicket(findTicket(Number(event.active.id)) ?? null);
  };
  const onDragEnd = (event: DragEndEvent) => {
    setActiveTicket(null);
    const ticket = findTicket(Number(event.active.id));
    const to = event.over?.id as TTicketStatus | undefined;
    if (ticket && to && to !== ticket.status) {
      void moveTicket(ticket, to);
    }
  };

  const statusOf = (id: string | number | undefined) => (id ? t(`status.${String(id)}`) : "");
  const announcements: Announcements = {
    onDragStart: ({ active }) => t("board.announceStart", { id: active.id }),
    onDragOver: ({ active, over }) =>
      over ? t("board.announceOver", { id: active.id, status: statusOf(over.id) }) : undefined,
    onDragEnd: ({ active, over }) =>
      over
        ? t("board.announceEnd", { id: active.id, status: statusOf(over.id) })
        : t("board.announceCancel", { id: active.id }),
    onDragCancel: ({ active }) => t("board.announceCancel", { id: active.id }),
  };

  const assigneeOptions = [
    { value: "me", label: t("common.me") },
    { value: "none", label: t("common.unassigned") },
    ...(executors.data ?? []).map((e) => ({ value: String(e.id), label: e.name })),
  ];

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={1} size="h2">
          {t("board.title")}
        </Title>
        <Group gap="sm" wrap="wrap">
          <Select
            label={t("tickets.queue")}
            placeholder={t("tickets.anyQueue")}
            data={queues}
            value={queueId}
            onChange={(value) => setFilter("queue_id", value)}
            clearable
            w={200}
          />
          <Select
            label={t("tickets.assignee")}
            placeholder={t("tickets.anyAssignee")}
            data={assigneeOptions}
            value={assigneeId}
            onChange={(value) => setFilter("assignee_id", value)}
            clearable
            searchable
            w={200}
          />
        </Group>
      </Group>
      <Text size="sm" c="dimmed" id="board-instructions">
        {t("board.dragHint")}
      </Text>
      <DndContext
        sensors={sensors}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={() => setActiveTicket(null)}
        accessibility={{ announcements, screenReaderInstructions: { draggable: t("board.dragHint") } }}
      >
        <Group align="flex-start" gap="sm" wrap="nowrap" style={{ overflowX: "auto" }} pb="xs">
          {TICKET_STATUSES.map((status) => {
            const column = columns[status];
            return (
              <BoardColumn
                key={`${status}-${queueId}-${assigneeId}`}
                status={status}
                tickets={column.tickets}
                loading={column.query.isPending}
                error={column.query.error}
                hasMore={column.query.hasNextPage}
                fetchingMore={column.query.isFetchingNextPage}
                onLoadMore={column.loadMore}
              />
            );
          })}
        </Group>
        <DragOverlay>
          {activeTicket ? (
            <Paper withBorder p="xs" shadow="md" style={{ cursor: "grabbing", width: 260 }}>
              <BoardCardBody ticket={activeTicket} />
            </Paper>
          ) : null}
        </DragOverlay>
      </DndContext>
    </Stack>
  );
}
