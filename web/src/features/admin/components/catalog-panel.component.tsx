import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  Select,
  Skeleton,
  Stack,
  Table,
  TextInput,
} from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import type { CatalogItem, CatalogKind } from "../../../shared/api/types";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { useNotify } from "../../../shared/hooks/use-notify";
import {
  useCatalog,
  useCatalogOptions,
  useDeactivateCatalogItem,
  useSaveCatalogItem,
} from "../../catalog/api";

function ItemForm({
  kind,
  item,
  onDone,
}: {
  kind: CatalogKind;
  item: CatalogItem | null;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const notify = useNotify();
  const save = useSaveCatalogItem(kind);
  const departments = useCatalogOptions("departments", kind === "queues");
  const [nameRu, setNameRu] = useState(item?.name_ru ?? "");
  const [nameEn, setNameEn] = useState(item?.name_en ?? "");
  const [departmentId, setDepartmentId] = useState<string | null>(
    item?.department_id != null ? String(item.department_id) : null,
  );
  const [rank, setRank] = useState<number>(item?.rank ?? 0);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!nameRu.trim() || !nameEn.trim()) {
      return;
    }
    save.mutate(
      {
        id: item?.id,
        body: {
          name_ru: nameRu.trim(),
          name_en: nameEn.trim(),
          ...(kind === "queues" ? { department_id: departmentId ? Number(departmentId) : null } : {}),
          ...(kind === "priorities" ? { rank } : {}),
        },
      },
      {
        onSuccess: () => {
          notify.success(t("common.saved"));
          onDone();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {save.isError ? <ErrorAlert error={save.error} /> : null}
        <TextInput
          label={t("admin.nameRu")}
          required
          value={nameRu}
          onChange={(e) => setNameRu(e.currentTarget.value)}
        />
        <TextInput
          label={t("admin.nameEn")}
          required
          value={nameEn}
          onChange={(e) => setNameEn(e.currentTarget.value)}
        />
        {kind === "queues" ? (
          <Select
            label={t("admin.department")}
            data={departments}
            value={departmentId}
            onChange={setDepartmentId}
            clearable
          />
        ) : null}
        {kind === "priorities" ? (
          <NumberInput
            label={t("admin.rank")}
            min={0}
            max={1000}
            value={rank}
            onChange={(value) => setRank(typeof value === "number" ? value : Number(value) || 0)}
          />
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={save.isPending} disabled={!nameRu.trim() || !nameEn.trim()}>
            {item ? t("common.save") : t("common.create")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Table and dialogs for one catalog (departments, queues, categories, priorities). */
export function CatalogPanel({ kind }: { kind: CatalogKind }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const items = useCatalog(kind);
  const departments = useCatalog("departments", kind === "queues");
  const deactivate = useDeactivateCatalogItem(kind);
  const save = useSaveCatalogItem(kind);
  const [editing, setEditing] = useState<CatalogItem | null | undefined>(undefined);
  const departmentName = (id: number | null | undefined) =>
    id == null ? t("common.none") : (departments.data?.find((d) => d.id === id)?.name ?? `#${id}`);

  return (
    <Stack>
      <Group justify="flex-end">
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
          {t("admin.addItem")}
        </Button>
      </Group>
      {items.isError ? <ErrorAlert error={items.error} onRetry={() => void items.refetch()} /> : null}
      {items.isSuccess && items.data.length === 0 ? <Alert color="gray">{t("admin.noItems")}</Alert> : null}
      <Table.ScrollContainer minWidth={520}>
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("admin.nameRu")}</Table.Th>
              <Table.Th>{t("admin.nameEn")}</Table.Th>
              {kind === "queues" ? <Table.Th>{t("admin.department")}</Table.Th> : null}
              {kind === "priorities" ? <Table.Th>{t("admin.rank")}</Table.Th> : null}
              <Table.Th>{t("tickets.status")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.isPending ? (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Skeleton height={24} />
                </Table.Td>
              </Table.Tr>
            ) : null}
            {(items.data ?? []).map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td>{item.name_ru}</Table.Td>
                <Table.Td>{item.name_en}</Table.Td>
                {kind === "queues" ? <Table.Td>{departmentName(item.department_id)}</Table.Td> : null}
                {kind === "priorities" ? <Table.Td>{item.rank}</Table.Td> : null}
                <Table.Td>
                  <Badge color={item.is_active ? "green" : "gray"} variant="light">
                    {item.is_active ? t("common.active") : t("common.inactive")}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="light"
                      onClick={() => setEditing(item)}
                      aria-label={`${t("common.edit")} ${item.name}`}
                    >
                      {t("common.edit")}
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color={item.is_active ? "red" : "green"}
                      aria-label={`${item.is_active ? t("admin.deactivate") : t("admin.activate")} ${item.name}`}
                      onClick={() =>
                        item.is_active
                          ? deactivate.mutate(item.id, { onError: notify.error })
                          : save.mutate(
                              {
                                id: item.id,
                                body: { name_ru: item.name_ru, name_en: item.name_en, is_active: true },
                              },
                              { onError: notify.error },
                            )
                      }
                    >
                      {item.is_active ? t("admin.deactivate") : t("admin.activate")}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal
        opened={editing !== undefined}
        onClose={() => setEditing(undefined)}
        title={editing ? t("admin.editItem") : t("admin.addItem")}
      >
        {editing !== undefined ? (
          <ItemForm kind={kind} item={editing} onDone={() => setEditing(undefined)} />
        ) : null}
      </Modal>
    </Stack>
  );
}
