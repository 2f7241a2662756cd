import { Center, Group, Paper, Stack, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { LanguageSwitch, ThemeToggle } from "../../../app/layout/preferences.component";

/** Centered card for the signed-out pages, with language and theme controls. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Stack w="100%" maw={420}>
        <Group justify="flex-end" gap="xs">
          <LanguageSwitch />
          <ThemeToggle />
        </Group>
        <Paper withBorder shadow="sm" p="lg" radius="md">
          <Title order={1} size="h3" mb="md">
            {title}
          </Title>
          {children}
        </Paper>
      </Stack>
    </Center>
  );
}
