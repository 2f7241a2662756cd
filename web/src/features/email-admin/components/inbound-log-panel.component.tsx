import { Anchor, Group, Select, Stack, Table, Text } from "@mantine/core";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { formatDateTime } from "../../../shared/format";
import { INBOUND_STATUSES, useInboundLog, useMailboxes } from "../api";
import {
  EmailErrorAlert,
  EmptyState,
  LoadMoreButton,
  LogStatusBadge,
  SkeletonRows,
} from "./common.component";

/** What became of each fetched mail: a new ticket, a reply in a thread, ignored or rejected, and why. */
export function InboundLogPanel() {
  const { t, i18n } = useTranslation();
  const [status, setStatus] = useState<string | null>(null);
  const [mailboxId, setMailboxId] = useState<string | null>(null);
  const mailboxes = useMailboxes();
  const filters = useMemo(
    () => ({ status: status ?? undefined, mailbox_id: mailboxId ?? undefined }),
    [status, mailboxId],
  );
  const log = useInboundLog(filters);
  const rows = log.data?.pages.flatMap((page) => page.results) ?? [];
  const mailboxName = (id: number | null) =>
    id === null ? "—" : (mailboxes.data?.find((m) => m.id === id)?.name ?? `#${id}`);
  const filtered = Boolean(status || mailboxId);

  return (
    <Stack>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <Select
          label={t("emailAdmin.log.status")}
          placeholder={t("emailAdmin.log.anyStatus")}
          data={INBOUND_STATUSES.map((s) => ({ value: s, label: t(`emailAdmin.logStatus.${s}`) }))}
          value={status}
          onChange={setStatus}
          clearable
          w={200}
        />
        <Select
          label={t("emailAdmin.inbound.mailbox")}
          placeholder={t("emailAdmin.inbound.anyMailbox")}
          data={(mailboxes.data ?? []).map((m) => ({ value: String(m.id), label: m.name }))}
          value={mailboxId}
          onChange={setMailboxId}
          clearable
          w={220}
        />
      </Group>
      {log.isError ? <EmailErrorAlert error={log.error} onRetry={() => void log.refetch()} /> : null}
      {log.isSuccess && rows.length === 0 ? (
        <EmptyState
          title={filtered ? t("emailAdmin.log.emptyFiltered") : t("emailAdmin.inbound.emptyTitle")}
          hint={filtered ? t("emailAdmin.log.emptyFilteredHint") : t("emailAdmin.inbound.emptyHint")}
        />
      ) : (
        <Table.ScrollContainer minWidth={820}>
          <Table highlightOnHover verticalSpacing="sm" aria-label={t("emailAdmin.tabs.inbound")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("emailAdmin.log.time")}</Table.Th>
                <Table.Th>{t("emailAdmin.log.status")}</Table.Th>
                <Table.Th>{t("emailAdmin.inbound.from")}</Table.Th>
                <Table.Th>{t("emailAdmin.inbound.subject")}</Table.Th>
                <Table.Th>{t("emailAdmin.inbound.mailbox")}</Table.Th>
                <Table.Th>{t("emailAdmin.log.result")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id}>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Text size="sm">{formatDateTime(row.created_at, i18n.language)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <LogStatusBadge status={row.status} />
                  </Table.Td>
                  <Table.Td style={{ wordBreak: "break-word" }}>{row.from ?? "—"}</Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {row.subject || t("emailAdmin.outbox.noSubject")}
                    </Text>
                  </Table.Td>
                  <Table.Td>{mailboxName(row.mailbox_id)}</Table.Td>
                  <Table.Td>
                    {row.ticket_id ? (
                      <Anchor component={Link} to={`/tickets/${row.ticket_id}`} size="sm">
                        {t("emailAdmin.inbound.ticket", { id: row.ticket_id })}
                      </Anchor>
                    ) : null}
                    {row.reason ? (
                      <Text size="xs" c={row.status === "rejected" ? "red" : "dimmed"}>
                        {row.reason}
                      </Text>
                    ) : null}
                    {row.rejected_attachments?.length ? (
                      <Text size="xs" c="orange">
                        {t("emailAdmin.inbound.attachmentsDropped", {
                          count: row.rejected_attachments.length,
                          list: row.rejected_attachments.map((a) => `${a.filename} (${a.reason})`).join(", "),
                        })}
                      </Text>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
              {log.isPending ? <SkeletonRows columns={6} /> : null}
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
