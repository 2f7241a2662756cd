import { Anchor, Group, Select, Stack, Table, Text } from "@mantine/core";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { formatDateTime } from "../../../shared/format";
import { DELIVERY_CHANNELS, DELIVERY_STATUSES, useDeliveryLog } from "../api";
import {
  EmailErrorAlert,
  EmptyState,
  LoadMoreButton,
  LogStatusBadge,
  SkeletonRows,
} from "./common.component";

/** Every notification delivery attempt: to whom, by which channel, sent/failed/retrying and why. */
export function DeliveryLogPanel() {
  const { t, i18n } = useTranslation();
  const [status, setStatus] = useState<string | null>(null);
  const [channel, setChannel] = useState<string | null>(null);
  const filters = useMemo(
    () => ({ status: status ?? undefined, channel: channel ?? undefined }),
    [status, channel],
  );
  const log = useDeliveryLog(filters);
  const rows = log.data?.pages.flatMap((page) => page.results) ?? [];
  const filtered = Boolean(status || channel);

  return (
    <Stack>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <Select
          label={t("emailAdmin.log.status")}
          placeholder={t("emailAdmin.log.anyStatus")}
          data={DELIVERY_STATUSES.map((s) => ({ value: s, label: t(`emailAdmin.logStatus.${s}`) }))}
          value={status}
          onChange={setStatus}
          clearable
          w={200}
        />
        <Select
          label={t("emailAdmin.deliveries.channel")}
          placeholder={t("emailAdmin.deliveries.anyChannel")}
          data={DELIVERY_CHANNELS.map((c) => ({ value: c, label: t(`emailAdmin.channel.${c}`) }))}
          value={channel}
          onChange={setChannel}
          clearable
          w={200}
        />
      </Group>
      {log.isError ? <EmailErrorAlert error={log.error} onRetry={() => void log.refetch()} /> : null}
      {log.isSuccess && rows.length === 0 ? (
        <EmptyState
          title={filtered ? t("emailAdmin.log.emptyFiltered") : t("emailAdmin.deliveries.emptyTitle")}
          hint={filtered ? t("emailAdmin.log.emptyFilteredHint") : t("emailAdmin.deliveries.emptyHint")}
        />
      ) : (
        <Table.ScrollContainer minWidth={820}>
          <Table highlightOnHover verticalSpacing="sm" aria-label={t("emailAdmin.tabs.deliveries")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("emailAdmin.log.time")}</Table.Th>
                <Table.Th>{t("emailAdmin.log.status")}</Table.Th>
                <Table.Th>{t("emailAdmin.deliveries.channel")}</Table.Th>
                <Table.Th>{t("emailAdmin.deliveries.recipient")}</Table.Th>
                <Table.Th>{t("emailAdmin.deliveries.ticket")}</Table.Th>
                <Table.Th>{t("emailAdmin.deliveries.attempts")}</Table.Th>
                <Table.Th>{t("emailAdmin.log.reason")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id}>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Text size="sm">{formatDateTime(row.sent_at ?? row.updated_at, i18n.language)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <LogStatusBadge status={row.status} />
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    {t(`emailAdmin.channel.${row.channel}`, { defaultValue: row.channel })}
                    <Text size="xs" c="dimmed">
                      {t(`emailAdmin.kind.${row.kind}`, { defaultValue: row.kind })}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ wordBreak: "break-word" }}>{row.user_email}</Table.Td>
                  <Table.Td>
                    {row.ticket_id ? (
                      <Anchor component={Link} to={`/tickets/${row.ticket_id}`} size="sm">
                        #{row.ticket_id}
                      </Anchor>
                    ) : (
                      "—"
                    )}
                  </Table.Td>
                  <Table.Td>{row.attempts}</Table.Td>
                  <Table.Td>
                    {row.last_error ? (
                      <Text
                        size="xs"
                        c={row.status === "failed" ? "red" : "dimmed"}
                        lineClamp={3}
                        title={row.last_error}
                        style={{ wordBreak: "break-word" }}
                      >
                        {row.last_error}
                      </Text>
                    ) : (
                      <Text size="xs" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
              {log.isPending ? <SkeletonRows columns={7} /> : null}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <LoadMoreButton
        hasMore={log.hasNextPage}
        loading={log.isFetchingNextPage}
        onLoad={() => void log.fetchNextPage()}
      />
    </Stack>
  );
}
