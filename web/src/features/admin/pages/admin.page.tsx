import { Alert, Skeleton, Stack, Tabs, Title, useMatches } from "@mantine/core";
import { lazy, type ReactNode, Suspense } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import { useCurrentUser } from "../../auth/api";
import { CatalogPanel } from "../components/catalog-panel.component";
import { SettingsPanel } from "../components/settings-panel.component";
import { UsersPanel } from "../components/users-panel.component";

// E-mail tabs load on first open: they are not part of the admin page's chunk.
const SmtpPanel = lazy(() =>
  import("../../email-admin/components/smtp-panel.component").then((m) => ({ default: m.SmtpPanel })),
);
const MailboxesPanel = lazy(() =>
  import("../../email-admin/components/mailboxes-panel.component").then((m) => ({
    default: m.MailboxesPanel,
  })),
);
const OutboxPanel = lazy(() =>
  import("../../email-admin/components/outbox-panel.component").then((m) => ({ default: m.OutboxPanel })),
);
const InboundLogPanel = lazy(() =>
  import("../../email-admin/components/inbound-log-panel.component").then((m) => ({
    default: m.InboundLogPanel,
  })),
);
const DeliveryLogPanel = lazy(() =>
  import("../../email-admin/components/delivery-log-panel.component").then((m) => ({
    default: m.DeliveryLogPanel,
  })),
);

const ChannelsPanel = lazy(() =>
  import("../../channels-admin/components/channels-panel.component").then((m) => ({
    default: m.ChannelsPanel,
  })),
);

const TelegramPanel = lazy(() =>
  import("../../telegram-admin/components/telegram-panel.component").then((m) => ({
    default: m.TelegramPanel,
  })),
);

const TABS = ["users", "departments", "queues", "categories", "priorities", "settings"] as const;
const EMAIL_TABS = ["email", "mailboxes", "outbox", "inbound", "deliveries"] as const;
type Tab = (typeof TABS)[number] | (typeof EMAIL_TABS)[number] | "channels" | "telegram";
const ALL_TABS: readonly string[] = [...TABS, ...EMAIL_TABS, "channels", "telegram"];

function LazyPanel({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Skeleton height={240} />}>{children}</Suspense>;
}

export default function AdminPage() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const navigate = useNavigate();
  const params = useParams();
  // Thirteen tabs: they wrap onto a second line on wide screens and scroll sideways on phones.
  const tabsWrap = useMatches({ base: "nowrap", sm: "wrap" } as const);
  const current = ALL_TABS.includes(params["*"] ?? "") ? (params["*"] as Tab) : "users";

  if (user.role !== "admin") {
    return <Alert color="red">{t("errors.auth.forbidden")}</Alert>;
  }

  return (
    <Stack>
      <Title order={1} size="h2">
        {t("admin.title")}
      </Title>
      <Tabs value={current} onChange={(value) => value && navigate(`/admin/${value}`)} keepMounted={false}>
        <Tabs.List style={{ overflowX: "auto", flexWrap: tabsWrap }}>
          {TABS.map((tab) => (
            <Tabs.Tab key={tab} value={tab} style={{ flexShrink: 0 }}>
              {t(`admin.${tab}`)}
            </Tabs.Tab>
          ))}
          {EMAIL_TABS.map((tab) => (
            <Tabs.Tab key={tab} value={tab} style={{ flexShrink: 0 }}>
              {t(`emailAdmin.tabs.${tab}`)}
            </Tabs.Tab>
          ))}
          <Tabs.Tab value="channels" style={{ flexShrink: 0 }}>
            {t("channelsAdmin.tab")}
          </Tabs.Tab>
          <Tabs.Tab value="telegram" style={{ flexShrink: 0 }}>
            {t("telegramAdmin.tab")}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="users" pt="md">
          <UsersPanel />
        </Tabs.Panel>
        <Tabs.Panel value="departments" pt="md">
          <CatalogPanel kind="departments" />
        </Tabs.Panel>
        <Tabs.Panel value="queues" pt="md">
          <CatalogPanel kind="queues" />
        </Tabs.Panel>
        <Tabs.Panel value="categories" pt="md">
          <CatalogPanel kind="categories" />
        </Tabs.Panel>
        <Tabs.Panel value="priorities" pt="md">
          <CatalogPanel kind="priorities" />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <SettingsPanel />
        </Tabs.Panel>
        <Tabs.Panel value="email" pt="md">
          <LazyPanel>
            <SmtpPanel />
          </LazyPanel>
        </Tabs.Panel>
        <Tabs.Panel value="mailboxes" pt="md">
          <LazyPanel>
            <MailboxesPanel />
          </LazyPanel>
        </Tabs.Panel>
        <Tabs.Panel value="outbox" pt="md">
          <LazyPanel>
            <OutboxPanel />
          </LazyPanel>
        </Tabs.Panel>
        <Tabs.Panel value="inbound" pt="md">
          <LazyPanel>
            <InboundLogPanel />
          </LazyPanel>
        </Tabs.Panel>
        <Tabs.Panel value="deliveries" pt="md">
          <LazyPanel>
            <DeliveryLogPanel />
          </LazyPanel>
        </Tabs.Panel>
        <Tabs.Panel value="channels" pt="md">
          <LazyPanel>
            <ChannelsPanel />
          </LazyPanel>
        </Tabs.Panel>
        <Tabs.Panel value="telegram" pt="md">
          <LazyPanel>
            <TelegramPanel />
          </LazyPanel>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
