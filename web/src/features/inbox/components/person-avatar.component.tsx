import { Avatar, type MantineSize } from "@mantine/core";

/** The person's initials in a circle whose colour follows the name. */
export function PersonAvatar({ name, size = "sm" }: { name: string; size?: MantineSize | number }) {
  return <Avatar name={name} color="initials" size={size} radius="xl" aria-hidden />;
}
