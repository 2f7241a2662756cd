import { Alert, Badge, Button, Group, Skeleton, Stack, Table, Text } from "@mantine/core";
import { IconInbox } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { NO_TRUNCATE } from "../../../shared/components/badges.component";
import { describeEmailError, technicalDetail } from "../errors";

const LOG_COLORS: Record<string, string> = {
  ticket: "green",
  reply: "blue",
  ignored: "gray",
  rejected: "red",
  queued: "gray",
  sending: "blue",
  sent: "green",
  failed: "red",
  retrying: "orange",
  skipped: "gray",
};

/** Status of an inbound mail or a delivery; unknown values show as they are. */
export function LogStatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={LOG_COLORS[status] ?? "gray"} variant="light" styles={NO_TRUNCATE}>
      {t(`emailAdmin.logStatus.${status}`, { defaultValue: status })}
    </Badge>
  );
}

/** An error answered by the e-mail admin API, translated by code, with an optional retry. */
export function EmailErrorAlert({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const { t } = useTranslation();
  const detail = technicalDetail(error);
  return (
    <Alert color="red" title={title ?? t("errors.loadFailed")} role="alert">
      {describeEmailError(error, t)}
      {detail ? (
        <Text size="xs" c="dimmed" mt={4} style={{ wordBreak: "break-word" }}>
          {detail}
        </Text>
      ) : null}
      {onRetry ? (
        <Button size="xs" variant="light" color="red" mt="sm" display="block" onClick={onRetry}>
          {t("common.retry")}
        </Button>
      ) : null}
    </Alert>
  );
}

/** What an empty list means and what to do about it. */
export function EmptyState({ title, hint, action }: { title: string; hint: string; action?: ReactNode }) {
  return (
    <Stack align="center" gap={6} py="xl" ta="center">
      <IconInbox size={32} stroke={1.5} color="var(--mantine-color-dimmed)" aria-hidden />
      <Text fw={500}>{title}</Text>
      <Text size="sm" c="dimmed" maw={480}>
        {hint}
      </Text>
      {action}
    </Stack>
  );
}

/** Placeholder rows while a table loads. */
export function SkeletonRows({ columns, rows = 4 }: { columns: number; rows?: number }) {
  return Array.from({ length: rows }, (_, index) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
    <Table.Tr key={index} aria-hidden>
      <Table.Td colSpan={columns}>
        <Skeleton height={22} />
      </Table.Td>
    </Table.Tr>
  ));
}

/** "Load more" under a cursor-paged table. */
export function LoadMoreButton({
  hasMore,
  loading,
  onLoad,
}: {
  hasMore: boolean;
  loading: boolean;
  onLoad: () => void;
}) {
  const { t } = useTranslation();
  if (!hasMore) {
    return null;
  }
  return (
    <Group justify="center">
      <Button variant="default" onClick={onLoad} loading={loading}>
        {t("common.loadMore")}
      </Button>
    </Group>
  );
}
