import { useDroppable } from "@dnd-kit/core";
import type { TTicketStatus } from "@helpdesk/contracts";
import { Badge, Button, Group, Paper, ScrollArea, Skeleton, Stack, Text, Title } from "@mantine/core";
import { memo, startTransition, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Ticket } from "../../../shared/api/types";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { BoardCard } from "./board-card.component";

export const PAGE_STEP = 40;
/** Cards in the first paint: more than a 1280×900 column shows; the rest of the step follows. */
const FIRST_PAINT = 10;

type Props = {
  status: TTicketStatus;
  tickets: Ticket[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  fetchingMore: boolean;
  onLoadMore: () => void;
};

/** One status column; renders at most `visible` cards so hundreds of tickets stay smooth. */
export const BoardColumn = memo(function BoardColumn({
  status,
  tickets,
  loading,
  error,
  hasMore,
  fetchingMore,
  onLoadMore,
}: Props) {
  const { t } = useTranslation();
  const { setNodeRef, isOver } = useDroppable({ id: status });
  const [visible, setVisible] = useState(FIRST_PAINT);
  const ready = tickets.length > 0;
  // The first cards paint at once; the rest of the first step renders as a non-blocking transition.
  useEffect(() => {
    if (ready) {
      startTransition(() => setVisible((count) => Math.max(count, PAGE_STEP)));
    }
  }, [ready]);
  const shown = tickets.slice(0, visible);
  const hidden = tickets.length - shown.length;
  const headingId = `board-col-${status}`;

  const showMore = () => {
    setVisible((count) => Math.max(count, PAGE_STEP) + PAGE_STEP);
    if (hidden < PAGE_STEP && hasMore) {
      onLoadMore();
    }
  };

  return (
    <Paper
      ref={setNodeRef}
      withBorder
      p="xs"
      bg={isOver ? "var(--mantine-primary-color-light)" : "var(--mantine-color-default-hover)"}
      component="section"
      aria-labelledby={headingId}
      // Narrow screens: fixed-width columns that scroll sideways. From `lg` (1200 px) up the four
      // columns share the width, so 1280 px shows all of them without horizontal scrolling.
      flex={{ base: "0 0 270px", lg: "1 1 0" }}
      miw={{ base: 270, lg: 0 }}
      style={{ display: "flex", flexDirection: "column" }}
    >
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h5" id={headingId}>
          {t(`status.${status}`)}
        </Title>
        <Badge variant="light" color="gray">
          {tickets.length}
          {hasMore ? "+" : ""}
        </Badge>
      </Group>
      <ScrollArea.Autosize mah="calc(100vh - 260px)" type="auto" offsetScrollbars>
        <Stack gap="xs" mih={80}>
          {error ? <ErrorAlert error={error} /> : null}
          {loading ? (
            <>
              <Skeleton height={80} />
              <Skeleton height={80} />
            </>
          ) : null}
          {!loading && tickets.length === 0 ? (
            <Text size="sm" c="dimmed" ta="center" py="md">
              {t("board.columnEmpty")}
            </Text>
          ) : null}
          {shown.map((ticket) => (
            <BoardCard key={ticket.id} ticket={ticket} />
          ))}
          {hidden > 0 || hasMore ? (
            <Button variant="subtle" size="xs" onClick={showMore} loading={fetchingMore}>
              {hidden > 0
                ? t("common.showMore", { count: Math.min(hidden, PAGE_STEP) })
                : t("common.loadMore")}
            </Button>
          ) : null}
        </Stack>
      </ScrollArea.Autosize>
    </Paper>
  );
});
