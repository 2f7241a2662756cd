import {
  Alert,
  Anchor,
  Badge,
  Code,
  Group,
  Modal,
  ScrollArea,
  Stack,
  Table,
  Tabs,
  Text,
} from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { NO_TRUNCATE } from "../../../shared/components/badges.component";
import { formatDateTime } from "../../../shared/format";
import { type OutboxMail, useOutbox } from "../api";
import { EmailErrorAlert, EmptyState, LoadMoreButton, SkeletonRows } from "./common.component";

/** One kept mail: plain text, and the HTML part rendered in a fully sandboxed frame (no scripts, no same origin). */
function OutboxMailView({ mail }: { mail: OutboxMail }) {
  const { t, i18n } = useTranslation();
  const headers = Object.entries(mail.headers ?? {});
  return (
    <Stack gap="sm">
      <Table variant="vertical" layout="fixed" withTableBorder fz="sm">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={110}>{t("emailAdmin.outbox.from")}</Table.Th>
            <Table.Td style={{ wordBreak: "break-word" }}>{mail.from}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>{t("emailAdmin.outbox.to")}</Table.Th>
            <Table.Td style={{ wordBreak: "break-word" }}>{mail.to}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>{t("emailAdmin.outbox.time")}</Table.Th>
            <Table.Td>{formatDateTime(mail.created_at, i18n.language)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      <Tabs defaultValue={mail.html ? "html" : "text"} keepMounted={false}>
        <Tabs.List>
          {mail.html ? <Tabs.Tab value="html">{t("emailAdmin.outbox.html")}</Tabs.Tab> : null}
          <Tabs.Tab value="text">{t("emailAdmin.outbox.text")}</Tabs.Tab>
          {headers.length > 0 ? <Tabs.Tab value="headers">{t("emailAdmin.outbox.headers")}</Tabs.Tab> : null}
        </Tabs.List>
        {mail.html ? (
          <Tabs.Panel value="html" pt="sm">
            <iframe
              title={t("emailAdmin.outbox.htmlFrame", { subject: mail.subject })}
              sandbox=""
              srcDoc={mail.html}
              referrerPolicy="no-referrer"
              style={{
                width: "100%",
                height: "60vh",
                border: "1px solid var(--mantine-color-default-border)",
                borderRadius: "var(--mantine-radius-sm)",
                background: "white",
              }}
            />
          </Tabs.Panel>
        ) : null}
        <Tabs.Panel value="text" pt="sm">
          <ScrollArea.Autosize mah="60vh">
            <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
              {mail.text}
            </Code>
          </ScrollArea.Autosize>
        </Tabs.Panel>
        {headers.length > 0 ? (
          <Tabs.Panel value="headers" pt="sm">
            <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
              {[...(mail.message_id ? [["Message-ID", mail.message_id]] : []), ...headers]
                .map(([key, value]) => `${key}: ${value}`)
                .join("\n")}
            </Code>
          </Tabs.Panel>
        ) : null}
      </Tabs>
    </Stack>
  );
}

/** Mail kept instead of sent while no SMTP server is configured, newest first. */
export function OutboxPanel() {
  const { t, i18n } = useTranslation();
  const outbox = useOutbox();
  const [open, setOpen] = useState<OutboxMail | null>(null);
  const rows = outbox.data?.pages.flatMap((page) => page.results) ?? [];

  return (
    <Stack>
      <Alert color="gray" variant="light">
        {t("emailAdmin.outbox.intro")}
      </Alert>
      {outbox.isError ? <EmailErrorAlert error={outbox.error} onRetry={() => void outbox.refetch()} /> : null}
      {outbox.isSuccess && rows.length === 0 ? (
        <EmptyState title={t("emailAdmin.outbox.emptyTitle")} hint={t("emailAdmin.outbox.emptyHint")} />
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table highlightOnHover verticalSpacing="sm" aria-label={t("emailAdmin.tabs.outbox")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("emailAdmin.outbox.subject")}</Table.Th>
                <Table.Th>{t("emailAdmin.outbox.to")}</Table.Th>
                <Table.Th>{t("emailAdmin.outbox.time")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((mail) => (
                <Table.Tr key={mail.id}>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <Anchor
                        component="button"
                        type="button"
                        size="sm"
                        fw={500}
                        ta="left"
                        onClick={() => setOpen(mail)}
                      >
                        {mail.subject || t("emailAdmin.outbox.noSubject")}
                      </Anchor>
                      {mail.html ? (
                        <Badge size="xs" variant="outline" color="gray" styles={NO_TRUNCATE}>
                          {t("emailAdmin.outbox.htmlBadge")}
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td style={{ wordBreak: "break-word" }}>{mail.to}</Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Text size="sm">{formatDateTime(mail.created_at, i18n.language)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
              {outbox.isPending ? <SkeletonRows columns={3} /> : null}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <LoadMoreButton
        hasMore={outbox.hasNextPage}
        loading={outbox.isFetchingNextPage}
        onLoad={() => void outbox.fetchNextPage()}
      />
      <Modal opened={open !== null} onClose={() => setOpen(null)} title={open?.subject} size="xl">
        {open ? <OutboxMailView mail={open} /> : null}
      </Modal>
    </Stack>
  );
}
