import {
  AppShell,
  Avatar,
  Box,
  Burger,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Text,
  UnstyledButton,
} from "@mantine/core";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import {
  IconArchive,
  IconInbox,
  IconLayoutKanban,
  IconList,
  IconLogout,
  IconMessages,
  IconPlus,
  IconSettings,
  IconStack2,
  IconUser,
  IconUserCircle,
} from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, Suspense, useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation, useNavigate } from "react-router";
import { useCurrentUser, useLogout, usePublicSettings } from "../../features/auth/api";
import { InboxNavBadge } from "../../features/inbox/components/inbox-nav-badge.component";
import { disablePush } from "../../features/notifications/browser";
import { NotificationBell } from "../../features/notifications/components/notification-bell.component";
import { useLiveNotifications } from "../../features/notifications/use-live-notifications";
import { OnboardingHints } from "../../features/onboarding/components/onboarding-hints.component";
import { HeaderSearch } from "../../features/search/header-search.component";
import { PageLoader } from "../../shared/components/page-loader.component";
import { getRealtimeClient, useRealtimeConnection } from "../../shared/realtime/use-realtime";
import { navItemsFor } from "../nav";
import { ConnectionIndicator } from "./connection-indicator.component";
import { LanguageSwitch, ThemeToggle } from "./preferences.component";

const ICONS: Record<string, ReactNode> = {
  inbox: <IconInbox size={18} />,
  plus: <IconPlus size={18} />,
  user: <IconUser size={18} />,
  stack: <IconStack2 size={18} />,
  board: <IconLayoutKanban size={18} />,
  list: <IconList size={18} />,
  archive: <IconArchive size={18} />,
  settings: <IconSettings size={18} />,
  messages: <IconMessages size={18} />,
};

function UserMenu() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const logout = useLogout();
  const navigate = useNavigate();
  const initials = user.name
    .split(/\s+/)
    .map((part) => part[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={t("nav.userMenu")}>
          <Avatar radius="xl" color="blue">
            {initials}
          </Avatar>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="sm" fw={600} c="var(--mantine-color-text)">
            {user.name}
          </Text>
          <Text size="xs">{t(`roles.${user.role}`)}</Text>
        </Menu.Label>
        <Menu.Item leftSection={<IconUserCircle size={16} />} component={Link} to="/profile">
          {t("nav.profile")}
        </Menu.Item>
        <Menu.Item
          leftSection={<IconLogout size={16} />}
          onClick={() => {
            // This browser stops getting pushes for this account (best effort, never blocks).
            const unsubscribed = disablePush().catch(() => {});
            const timeout = new Promise((resolve) => setTimeout(resolve, 1500));
            void Promise.race([unsubscribed, timeout]).then(() =>
              logout.mutate(undefined, { onSettled: () => navigate("/sign-in") }),
            );
          }}
        >
          {t("nav.signOut")}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

/**
 * `<html data-realtime>`: the socket's status, and "live" once the ticket subscription is in
 * effect (browser tests wait for it before someone else changes a ticket).
 */
function useLiveMarker() {
  useEffect(() => {
    const root = document.documentElement;
    const client = getRealtimeClient();
    root.dataset.realtime = client.status;
    const stops = [
      client.onStatus((status) => {
        root.dataset.realtime = status;
      }),
      client.on("subscribed", () => {
        root.dataset.realtime = "live";
      }),
    ];
    return () => {
      for (const stop of stops) stop();
      delete root.dataset.realtime;
    };
  }, []);
}

/** The signed-in frame: header with search and menus, role navigation, page outlet. */
export function AppLayout() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const settings = usePublicSettings();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const items = navItemsFor(user.role);
  const queryClient = useQueryClient();
  const onNotification = useLiveNotifications(user.id);
  const status = useRealtimeConnection(queryClient, { onNotification });
  useLiveMarker();
  // Below the `sm` breakpoint the closed navbar is only slid off-screen: make it inert so it
  // leaves the tab order and the accessibility tree too.
  const phone = useMediaQuery("(max-width: 47.99em)", false, { getInitialValueInEffect: false });
  const navHidden = Boolean(phone) && !opened;

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" gap="sm" wrap="nowrap">
          <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t("nav.openMenu")} />
          <Text
            component={Link}
            to="/"
            fw={700}
            visibleFrom="sm"
            style={{ whiteSpace: "nowrap", textDecoration: "none", color: "inherit" }}
          >
            {settings.data?.organisation_name || t("app.name")}
          </Text>
          <Group flex={1} justify="center" miw={0}>
            <HeaderSearch />
          </Group>
          <Group gap="xs" wrap="nowrap">
            <ConnectionIndicator status={status} />
            <NotificationBell />
            {/* On a phone the header is narrow: the language stays in the profile. */}
            <Box visibleFrom="sm">
              <LanguageSwitch />
            </Box>
            <ThemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar
        p="xs"
        aria-label={t("nav.label")}
        component="nav"
        inert={navHidden}
        aria-hidden={navHidden || undefined}
      >
        <ScrollArea>
          {items.map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={t(item.labelKey)}
              leftSection={ICONS[item.icon]}
              rightSection={item.badge === "inbox" ? <InboxNavBadge /> : undefined}
              active={location.pathname === item.to || location.pathname.startsWith(`${item.to}/`)}
              onClick={close}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main">
        <OnboardingHints role={user.role} />
        <Suspense fallback={<PageLoader />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
