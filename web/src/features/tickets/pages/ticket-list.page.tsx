import { Alert, Badge, Button, Collapse, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useDisclosure, useIntersection, useMediaQuery } from "@mantine/hooks";
import { IconFilter, IconPlus, IconUserCheck } from "@tabler/icons-react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { canDispatch, isStaff } from "../../../app/nav";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCurrentUser } from "../../auth/api";
import { type TicketFilters as Filters, useAssignTicket, useTicketList } from "../api";
import { AssignDialog } from "../components/assign-dialog.component";
import { type FilterValues, TicketFilters } from "../components/ticket-filters.component";
import { TicketTable } from "../components/ticket-table.component";

export type ListScope = "mine" | "assigned" | "queues" | "all" | "archive";

const csv = (value: string | null) => (value ? value.split(",").filter(Boolean) : []);

/** Reads filters from the URL so every list view is bookmarkable. */
function readFilters(params: URLSearchParams): FilterValues & { q: string } {
  return {
    status: csv(params.get("status")),
    priority_id: csv(params.get("priority_id")),
    queue_id: params.get("queue_id"),
    category_id: params.get("category_id"),
    assignee_id: params.get("assignee_id"),
    q: params.get("q") ?? "",
  };
}

export default function TicketListPage({ scope }: { scope: ListScope }) {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const notify = useNotify();
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => readFilters(params), [params]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [assignOpen, setAssignOpen] = useState(false);
  const [assigning, setAssigning] = useState(false);
  const assign = useAssignTicket();
  const dispatcher = canDispatch(user.role);
  const narrow = useMediaQuery("(max-width: 36em)");
  const [filtersOpen, { toggle: toggleFilters }] = useDisclosure(false);

  const filters = useMemo<Filters>(() => {
    const base: Filters = {
      status: values.status,
      priority_id: values.priority_id,
      queue_id: values.queue_id ?? undefined,
      category_id: values.category_id ?? undefined,
      assignee_id: values.assignee_id ?? undefined,
      q: values.q || undefined,
    };
    if (scope === "mine") {
      base.requester_id = String(user.id);
    } else if (scope === "assigned") {
      base.assignee_id = "me";
    } else if (scope === "archive") {
      base.archived_only = true;
    }
    if (values.q && scope !== "archive") {
      // Search also reaches tickets already hidden from the working views.
      base.include_archived = true;
    }
    return base;
  }, [values, scope, user.id]);

  const list = useTicketList(filters);
  const tickets = useMemo(() => list.data?.pages.flatMap((page) => page.results) ?? [], [list.data]);
  const { ref: sentinel, entry } = useIntersection({ rootMargin: "200px" });

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (entry?.isIntersecting && hasNextPage && !isFetchingNextPage) {
      void fetchNextPage();
    }
  }, [entry?.isIntersecting, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // A new filter set starts with an empty selection (state adjusted during render, no effect needed).
  const [selectionFilters, setSelectionFilters] = useState(filters);
  if (selectionFilters !== filters) {
    setSelectionFilters(filters);
    setSelected(new Set());
  }

  const update = (patch: Partial<FilterValues>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(patch)) {
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      if (text) {
        next.set(key, text);
      } else {
        next.delete(key);
      }
    }
    setParams(next, { replace: true });
  };
  const clear = () => {
    const next = new URLSearchParams();
    if (values.q) {
      next.set("q", values.q);
    }
    setParams(next, { replace: true });
  };

  const toggle = useCallback((id: number) => {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) {
        next.delete(id);
      } else {
        next.add(id);
      }
      return next;
    });
  }, []);
  const toggleAll = () => {
    setSelected((current) =>
      tickets.every((ticket) => current.has(ticket.id))
        ? new Set()
        : new Set(tickets.map((ticket) => ticket.id)),
    );
  };

  const bulkAssign = async (executor: { id: number; name: string }) => {
    setAssigning(true);
    let done = 0;
    for (const id of selected) {
      try {
        await assign.mutateAsync({ id, executorId: executor.id });
        done += 1;
      } catch (error) {
        notify.error(error);
      }
    }
    setAssigning(false);
    setAssignOpen(false);
    setSelected(new Set());
    if (done > 0) {
      notify.success(t("tickets.assignedMany", { count: done, name: executor.name }));
    }
  };

  const titleKey = values.q && scope === "all" ? "search" : scope;
  const activeFilters =
    values.status.length +
    values.priority_id.length +
    [values.queue_id, values.category_id, values.assignee_id].filter(Boolean).length;
  const filtered = activeFilters > 0 || Boolean(values.q);
  const emptyText = filtered
    ? t("tickets.empty.filtered")
    : t(`tickets.empty.${scope === "queues" ? "all" : scope}`);

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">
          {t(`tickets.listTitle.${titleKey}`)}
          {values.q ? (
            <Text span c="dimmed" size="lg">
              {" "}
              «{values.q}»
            </Text>
          ) : null}
        </Title>
        {scope === "mine" ? (
          <Button component={Link} to="/new" leftSection={<IconPlus size={16} />}>
            {t("nav.newRequest")}
          </Button>
        ) : null}
      </Group>
      {narrow ? (
        <Button
          variant="default"
          leftSection={<IconFilter size={16} />}
          onClick={toggleFilters}
          aria-expanded={filtersOpen}
          w="fit-content"
          rightSection={activeFilters > 0 ? <Badge size="sm">{activeFilters}</Badge> : null}
        >
          {t("tickets.showFilters")}
        </Button>
      ) : null}
      <Collapse expanded={!narrow || filtersOpen}>
        <TicketFilters
          values={values}
          onChange={update}
          onClear={clear}
          showAssignee={isStaff(user.role) && scope !== "assigned"}
          canListExecutors={dispatcher}
        />
      </Collapse>
      {dispatcher && selected.size > 0 ? (
        <Paper withBorder p="xs" role="region" aria-label={t("tickets.bulkAssign")}>
          <Group justify="space-between">
            <Text size="sm">{t("tickets.selected", { count: selected.size })}</Text>
            <Button size="xs" leftSection={<IconUserCheck size={16} />} onClick={() => setAssignOpen(true)}>
              {t("tickets.bulkAssign")}
            </Button>
          </Group>
        </Paper>
      ) : null}
      {list.isError ? <ErrorAlert error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.isSuccess && tickets.length === 0 ? (
        <Alert color="gray" title={t(`tickets.listTitle.${titleKey}`)}>
          {emptyText}
        </Alert>
      ) : (
        <TicketTable
          tickets={tickets}
          loading={list.isPending || list.isFetchingNextPage}
          selectable={dispatcher}
          selected={selected}
          onToggle={toggle}
          onToggleAll={toggleAll}
          showRequester={isStaff(user.role)}
        />
      )}
      {list.hasNextPage ? (
        <Group justify="center" ref={sentinel}>
          <Button
            variant="default"
            onClick={() => void list.fetchNextPage()}
            loading={list.isFetchingNextPage}
          >
            {t("common.loadMore")}
          </Button>
        </Group>
      ) : null}
      {dispatcher ? (
        <AssignDialog
          opened={assignOpen}
          onClose={() => setAssignOpen(false)}
          onAssign={(executor) => void bulkAssign(executor)}
          loading={assigning}
        />
      ) : null}
    </Stack>
  );
}
