import { TICKET_STATUSES } from "@helpdesk/contracts";
import { Button, Group, MultiSelect, Select } from "@mantine/core";
import { IconFilterOff } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { useCatalogOptions, useExecutors } from "../../catalog/api";

export type FilterValues = {
  status: string[];
  priority_id: string[];
  queue_id: string | null;
  category_id: string | null;
  assignee_id: string | null;
};

type Props = {
  values: FilterValues;
  onChange: (patch: Partial<FilterValues>) => void;
  onClear: () => void;
  showAssignee: boolean;
  canListExecutors: boolean;
  hideStatus?: boolean;
};

/** Status, priority, queue, category and assignee filters (values live in the URL). */
export function TicketFilters({
  values,
  onChange,
  onClear,
  showAssignee,
  canListExecutors,
  hideStatus,
}: Props) {
  const { t } = useTranslation();
  const priorities = useCatalogOptions("priorities");
  const queues = useCatalogOptions("queues");
  const categories = useCatalogOptions("categories");
  const executors = useExecutors(showAssignee && canListExecutors);
  const assigneeOptions = [
    { value: "me", label: t("common.me") },
    { value: "none", label: t("common.unassigned") },
    ...(executors.data ?? []).map((e) => ({ value: String(e.id), label: e.name })),
  ];
  const hasAny =
    values.status.length > 0 ||
    values.priority_id.length > 0 ||
    Boolean(values.queue_id || values.category_id || values.assignee_id);

  return (
    <Group gap="sm" align="flex-end" wrap="wrap" role="group" aria-label={t("tickets.filters")}>
      {hideStatus ? null : (
        <MultiSelect
          label={t("tickets.status")}
          placeholder={values.status.length ? undefined : t("tickets.anyStatus")}
          data={TICKET_STATUSES.map((status) => ({ value: status, label: t(`status.${status}`) }))}
          value={values.status}
          onChange={(status) => onChange({ status })}
          clearable
          w={{ base: "100%", xs: 220 }}
        />
      )}
      <MultiSelect
        label={t("tickets.priority")}
        placeholder={values.priority_id.length ? undefined : t("tickets.anyPriority")}
        data={priorities}
        value={values.priority_id}
        onChange={(priority_id) => onChange({ priority_id })}
        clearable
        w={{ base: "100%", xs: 200 }}
      />
      <Select
        label={t("tickets.queue")}
        placeholder={t("tickets.anyQueue")}
        data={queues}
        value={values.queue_id}
        onChange={(queue_id) => onChange({ queue_id })}
        clearable
        searchable
        w={{ base: "100%", xs: 190 }}
      />
      <Select
        label={t("tickets.category")}
        placeholder={t("tickets.anyCategory")}
        data={categories}
        value={values.category_id}
        onChange={(category_id) => onChange({ category_id })}
        clearable
        searchable
        w={{ base: "100%", xs: 190 }}
      />
      {showAssignee ? (
        <Select
          label={t("tickets.assignee")}
          placeholder={t("tickets.anyAssignee")}
          data={assigneeOptions}
          value={values.assignee_id}
          onChange={(assignee_id) => onChange({ assignee_id })}
          clearable
          searchable
          w={{ base: "100%", xs: 190 }}
        />
      ) : null}
      {hasAny ? (
        <Button variant="subtle" leftSection={<IconFilterOff size={16} />} onClick={onClear}>
          {t("tickets.clearFilters")}
        </Button>
      ) : null}
    </Group>
  );
}
