import { Alert, Badge, Button, Group, Modal, Radio, ScrollArea, Stack, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { PageLoader } from "../../../shared/components/page-loader.component";
import { useExecutors } from "../../catalog/api";

type Props = {
  opened: boolean;
  onClose: () => void;
  /** Called with the chosen executor; the dialog stays open while `loading`. */
  onAssign: (executor: { id: number; name: string }) => void;
  loading?: boolean;
  currentAssigneeId?: number | null;
  title?: string;
};

/** Executor picker that shows each executor's open-ticket load, least loaded first. */
export function AssignDialog({ opened, onClose, onAssign, loading, currentAssigneeId, title }: Props) {
  const { t } = useTranslation();
  const executors = useExecutors(opened);
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState<string | null>(
    currentAssigneeId ? String(currentAssigneeId) : null,
  );

  const needle = filter.trim().toLowerCase();
  const list = (executors.data ?? [])
    .filter((e) => !needle || e.name.toLowerCase().includes(needle) || e.email.toLowerCase().includes(needle))
    .sort((a, b) => a.open_tickets - b.open_tickets || a.name.localeCompare(b.name));
  const chosen = executors.data?.find((e) => String(e.id) === selected);

  return (
    <Modal opened={opened} onClose={onClose} title={title ?? t("assign.title")} size="md">
      <Stack>
        <TextInput
          label={t("assign.search")}
          value={filter}
          onChange={(event) => setFilter(event.currentTarget.value)}
        />
        {executors.isPending ? <PageLoader /> : null}
        {executors.isError ? (
          <ErrorAlert error={executors.error} onRetry={() => void executors.refetch()} />
        ) : null}
        {executors.data && executors.data.length === 0 ? (
          <Alert color="gray">{t("assign.noExecutors")}</Alert>
        ) : null}
        <ScrollArea.Autosize mah={320}>
          <Radio.Group value={selected} onChange={setSelected} label={t("assign.executor")}>
            <Stack gap="xs" mt="xs">
              {list.map((executor) => (
                <Radio
                  key={executor.id}
                  value={String(executor.id)}
                  label={
                    <Group gap="xs" wrap="nowrap">
                      <Text size="sm">{executor.name}</Text>
                      <Badge size="sm" variant="light" color={executor.open_tickets > 10 ? "red" : "gray"}>
                        {t("assign.openTickets", { count: executor.open_tickets })}
                      </Badge>
                    </Group>
                  }
                  description={executor.email}
                />
              ))}
            </Stack>
          </Radio.Group>
        </ScrollArea.Autosize>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("common.cancel")}
          </Button>
          <Button
            disabled={!chosen}
            loading={loading}
            onClick={() => chosen && onAssign({ id: chosen.id, name: chosen.name })}
          >
            {t("assign.confirm")}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
